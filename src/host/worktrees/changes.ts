// A session's changes against its base: committed on the branch, plus whatever the worktree holds
// uncommitted or untracked. What "Show Changes" opens in VS Code's multi-file diff editor.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChangesResult } from '../../protocol/sessions';
import type { ChangedFile } from '../../protocol/types';
import { git, gitLine, splitNul } from './git';
import { inWorktree, resolveWorktree } from './registry';
import { resolveCommit, type Repo } from './repo';
import { snapshotTree } from './snapshot';

export interface ChangesOptions {
  repo?: Repo;
}

export async function changes(worktree: string, baseCommit: string, opts: ChangesOptions = {}): Promise<ChangesResult> {
  const ctx = await resolveWorktree(worktree, opts.repo);
  const base = await resolveCommit(ctx.repo.root, baseCommit);
  const headCommit = await gitLine(ctx.worktree, ['rev-parse', '--verify', 'HEAD^{commit}'], inWorktree(ctx));
  const scratch = await mkdtemp(path.join(tmpdir(), 'switchyard-changes-'));
  try {
    const tree = await snapshotTree(ctx, path.join(scratch, 'index'));
    const out = await git(ctx.worktree, ['diff-tree', '-r', '-z', '--name-status', '--find-renames', '--no-ext-diff', base, tree], inWorktree(ctx));
    return { baseCommit: base, headCommit, worktree: ctx.worktree, files: parseNameStatus(out) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Parses `--name-status -z`: `M\0path\0`, and for renames and copies `R087\0old\0new\0`. */
export function parseNameStatus(output: string): ChangedFile[] {
  const fields = splitNul(output);
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length; ) {
    const code = fields[i++]!.charAt(0);
    if (code === 'R' || code === 'C') {
      const oldPath = fields[i++]!;
      const newPath = fields[i++]!;
      files.push(code === 'R' ? { path: newPath, status: 'renamed', oldPath } : { path: newPath, status: 'added' });
      continue;
    }
    const file = fields[i++]!;
    files.push({ path: file, status: code === 'A' ? 'added' : code === 'D' ? 'deleted' : 'modified' });
  }
  return files;
}
