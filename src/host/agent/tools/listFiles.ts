// list_files: the files of the worktree (or of a folder in it), as git sees them, ignored files left out.
import { stat } from 'node:fs/promises';
import { argObject, optionalString, parseWith } from './args';
import { resolveInWorktree, toWorktreeRelative } from './confine';
import { asToolError, ToolError } from './errors';
import { runGit, splitNul } from './git';
import type { ToolContext, ToolDef, ToolResult } from './types';

export interface ListFilesArgs {
  path: string;
}

const LIST_STDOUT_MAX = 64 * 1024 * 1024;

export const listFilesTool: ToolDef<ListFilesArgs> = {
  name: 'list_files',
  description:
    'List the files in the worktree, or under one folder of it, recursively. Files ignored by .gitignore are left out. Paths are relative to the worktree root.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: ['string', 'null'], description: "Folder (or file) relative to the worktree root; null or '.' for the whole worktree." },
    },
    required: ['path'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['path']);
      return { path: optionalString(f, 'path') ?? '.' };
    }),
  run: listFiles,
};

async function listFiles(args: ListFilesArgs, ctx: ToolContext): Promise<ToolResult> {
  const abs = await resolveInWorktree(ctx.worktree, args.path);
  const rel = toWorktreeRelative(ctx.worktree, abs);
  try {
    await stat(abs);
  } catch (err) {
    throw asToolError(err, rel);
  }
  const gitOpts = { cwd: ctx.worktree, signal: ctx.signal, timeoutMs: ctx.limits.commandTimeoutMs, maxStdoutBytes: LIST_STDOUT_MAX };
  const [present, deleted] = await Promise.all([
    runGit(['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', rel], gitOpts),
    runGit(['ls-files', '-z', '--deleted', '--', rel], gitOpts),
  ]);
  for (const run of [present, deleted]) {
    if (run.exitCode !== 0 && !run.truncated) throw new ToolError(`git ls-files failed: ${run.stderr || `exit code ${run.exitCode}`}`);
  }
  const gone = new Set(splitNul(deleted.stdout, deleted.truncated));
  const files = [...new Set(splitNul(present.stdout, present.truncated))].filter(f => !gone.has(f)).sort();
  if (files.length === 0) {
    return { ok: true, output: `no files under '${rel}' (files ignored by .gitignore are not listed)` };
  }
  const max = ctx.limits.listMax;
  const shown = files.slice(0, max);
  let output = shown.join('\n');
  if (files.length > max || present.truncated) {
    const total = present.truncated ? `more than ${files.length}` : String(files.length);
    output += `\n… ${total} files in all, only the first ${shown.length} shown; list a subfolder to see the rest`;
  }
  return { ok: true, output };
}
