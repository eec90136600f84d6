// apply_patch: applies a unified diff or a V4A patch to the worktree, all of it or none of it.
import { refuseIfReadOnly } from './approval';
import { argObject, parseWith, requiredString } from './args';
import { commitPatch, planPatch } from './patch/commit';
import { parsePatch } from './patch/parse';
import type { ToolContext, ToolDef, ToolResult } from './types';

export interface ApplyPatchArgs {
  patch: string;
}

export const applyPatchTool: ToolDef<ApplyPatchArgs> = {
  name: 'apply_patch',
  sideEffects: true,
  description: [
    'Change files with a patch. Either format is accepted:',
    '1. V4A: "*** Begin Patch", then per file "*** Add File: <path>" (every line prefixed "+"), "*** Delete File: <path>", or "*** Update File: <path>" (optionally followed by "*** Move to: <new path>") with hunks that start with "@@" (optionally "@@ <a line just above the change, such as a function signature>") and lines prefixed " " (unchanged context, about 3 lines around each change), "-" (removed) or "+" (added); end with "*** End Patch".',
    '2. A unified diff: "--- a/<path>", "+++ b/<path>", "@@ -l,n +l,n @@" hunks; "/dev/null" for an added or deleted file.',
    'Paths are relative to the worktree root. The patch applies completely or not at all.',
  ].join('\n'),
  parameters: {
    type: 'object',
    properties: {
      patch: { type: 'string', description: 'The patch text (V4A or unified diff).' },
    },
    required: ['patch'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['patch']);
      return { patch: requiredString(f, 'patch', { nonEmpty: true }) };
    }),
  run: applyPatch,
};

async function applyPatch(args: ApplyPatchArgs, ctx: ToolContext): Promise<ToolResult> {
  refuseIfReadOnly(ctx, 'apply_patch');
  const plan = await planPatch(ctx.worktree, parsePatch(args.patch), ctx.denied);
  await commitPatch(plan);
  const n = plan.summary.length;
  return {
    ok: true,
    output: `applied the patch to ${n} file${n === 1 ? '' : 's'}:\n${plan.summary.join('\n')}`,
    filesChanged: plan.filesChanged,
  };
}
