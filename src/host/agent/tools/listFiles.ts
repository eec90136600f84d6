// list_files: the files of the worktree (or of a folder in it), as git sees them, ignored files left out.
import { stat } from 'node:fs/promises';
import { argObject, optionalString, parseWith } from './args';
import { resolveInWorktree, toWorktreeRelative } from './confine';
import { asToolError, ToolError } from './errors';
import { pathspecs, runGit, splitNul } from './git';
import type { ToolContext, ToolDef, ToolResult } from './types';

export interface ListFilesArgs {
  path: string;
}

const LIST_STDOUT_MAX = 64 * 1024 * 1024;

export const listFilesTool: ToolDef<ListFilesArgs> = {
  name: 'list_files',
  sideEffects: false,
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
  const abs = await resolveInWorktree(ctx.worktree, args.path, { forWrite: false, denied: ctx.denied });
  const rel = toWorktreeRelative(ctx.worktree, abs);
  try {
    await stat(abs);
  } catch (err) {
    throw asToolError(err, rel);
  }
  // One git process (each is a fork of the host): tagged entries, "R" for tracked files deleted from disk.
  const run = await runGit(['ls-files', '-z', '-t', '--cached', '--others', '--deleted', '--exclude-standard', '--', ...pathspecs(rel, ctx.denied)], {
    cwd: ctx.worktree, signal: ctx.signal, timeoutMs: ctx.limits.commandTimeoutMs, maxStdoutBytes: LIST_STDOUT_MAX,
  });
  if (run.exitCode !== 0 && !run.truncated) throw new ToolError(`git ls-files failed: ${run.stderr || `exit code ${run.exitCode}`}`);
  const { present, gone } = tagged(splitNul(run.stdout, run.truncated));
  const files = [...present].filter(f => !gone.has(f)).sort();
  if (files.length === 0) {
    return { ok: true, output: `no files under '${rel}' (files ignored by .gitignore are not listed)` };
  }
  const max = ctx.limits.listMax;
  const shown = files.slice(0, max);
  // One name per line: a name with a line break (or another control character) in it is shown quoted, as a
  // JSON string, or it would read as two files, or as another one.
  let output = shown.map(f => (/[\u0000-\u001f\u007f]/.test(f) ? JSON.stringify(f) : f)).join('\n');
  if (files.length > max || run.truncated) {
    const total = run.truncated ? `more than ${files.length}` : String(files.length);
    output += `\n… ${total} files in all, only the first ${shown.length} shown; list a subfolder to see the rest`;
  }
  return { ok: true, output };
}

/** `git ls-files -t` entries ("<tag> <path>"): the files listed, and those deleted from the worktree. */
function tagged(entries: string[]): { present: Set<string>; gone: Set<string> } {
  const present = new Set<string>();
  const gone = new Set<string>();
  for (const e of entries) {
    const file = e.slice(2);
    if (e.startsWith('R ')) gone.add(file);
    else present.add(file);
  }
  return { present, gone };
}
