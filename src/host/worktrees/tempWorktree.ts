// Throwaway worktrees where merges are computed, so the user's checkout never sees a half-merge.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { git, gitOutput } from './git';
import { canonicalPath } from './paths';
import { adminDirOf, listWorktrees, resolveWorktree, type WorktreeContext } from './registry';
import type { Repo } from './repo';

const TEMP_PREFIX = 'switchyard-merge-';
/** Environment for every git call in a temporary worktree. */
export const TEMP_ENV = { GIT_LFS_SKIP_SMUDGE: '1' } as const;

/** Runs `fn` in a new worktree detached at `commit`; the worktree is gone when it returns or throws. Call under the repo lock. */
export async function withTempWorktree<T>(repo: Repo, commit: string, fn: (ctx: WorktreeContext) => Promise<T>): Promise<T> {
  const dir = canonicalPath(await mkdtemp(path.join(tmpdir(), TEMP_PREFIX)));
  try {
    await git(repo.root, ['worktree', 'add', '--detach', '--quiet', dir, commit], { env: TEMP_ENV });
    return await fn(await resolveWorktree(dir, repo));
  } finally {
    await dropWorktree(repo, dir);
  }
}

/**
 * Removes temporary merge worktrees left by a process that died mid-merge. Safe only under the
 * repo lock: no merge of this repository can be running then.
 */
export async function removeStaleTempWorktrees(repo: Repo): Promise<string[]> {
  const tmp = canonicalPath(tmpdir());
  const stale = (await listWorktrees(repo.root)).filter(w => !w.main && path.dirname(w.path) === tmp && path.basename(w.path).startsWith(TEMP_PREFIX));
  for (const w of stale) await dropWorktree(repo, w.path);
  return stale.map(w => w.path);
}

async function dropWorktree(repo: Repo, dir: string): Promise<void> {
  const removed = await gitOutput(repo.root, ['worktree', 'remove', '--force', '--force', dir]);
  await rm(dir, { recursive: true, force: true });
  if (removed.exitCode === 0) return;
  // Forget just this registration; `git worktree prune` would also drop the user's orphans before prune() reports them.
  const admin = adminDirOf(repo, dir);
  if (admin) await rm(admin, { recursive: true, force: true });
}
