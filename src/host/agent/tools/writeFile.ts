// write_file: creates or replaces a whole file in the worktree.
import { refuseIfReadOnly } from './approval';
import { argObject, parseWith, requiredString } from './args';
import { resolveInWorktree, toWorktreeRelative } from './confine';
import { asToolError } from './errors';
import { writeFileAtomic } from './fsWrite';
import type { ToolContext, ToolDef, ToolResult } from './types';

export interface WriteFileArgs {
  path: string;
  content: string;
}

export const writeFileTool: ToolDef<WriteFileArgs> = {
  name: 'write_file',
  sideEffects: true,
  description:
    'Create a file, or replace all of an existing file, with the given content. Missing folders are created. Prefer apply_patch to change part of an existing file.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'File path relative to the worktree root.' },
      content: { type: 'string', description: 'The complete new content of the file.' },
    },
    required: ['path', 'content'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['path', 'content']);
      return { path: requiredString(f, 'path', { nonEmpty: true }), content: requiredString(f, 'content') };
    }),
  run: writeFile,
};

async function writeFile(args: WriteFileArgs, ctx: ToolContext): Promise<ToolResult> {
  refuseIfReadOnly(ctx, 'write_file');
  const abs = await resolveInWorktree(ctx.worktree, args.path, { forWrite: true, denied: ctx.denied });
  const rel = toWorktreeRelative(ctx.worktree, abs);
  const outcome = await writeFileAtomic(abs, args.content).catch((err: unknown) => {
    throw asToolError(err, rel);
  });
  const bytes = Buffer.byteLength(args.content);
  return {
    ok: true,
    output: `${outcome.created ? 'created' : 'replaced'} '${rel}' (${bytes} bytes)`,
    filesChanged: [rel],
  };
}
