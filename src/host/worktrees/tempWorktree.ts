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
 * Removes temporary merge worktrees left by a process that died mid-merge, as far as it can: a git the
 * dead process started may still be writing into one (a killed CLI's `git worktree add` runs on), so one
 * that will not go is left for the next merge, never the reason this one fails. Under the repo lock, no
 * live merge of this repository uses them.
 */
export async function removeStaleTempWorktrees(repo: Repo, log: (message: string) => void = () => {}): Promise<string[]> {
  const tmp = canonicalPath(tmpdir());
  const stale = (await listWorktrees(repo.root)).filter(w => !w.main && path.dirname(w.path) === tmp && path.basename(w.path).startsWith(TEMP_PREFIX));
  const removed: string[] = [];
  for (const w of stale) {
    try {
      await dropWorktree(repo, w.path);
      removed.push(w.path);
    } catch (err) {
      log(`A merge's temporary worktree left by a process that ended (${w.path}) could not be removed yet: ${(err as Error).message}`);
    }
  }
  return removed;
}

async function dropWorktree(repo: Repo, dir: string): Promise<void> {
  const removed = await gitOutput(repo.root, ['worktree', 'remove', '--force', '--force', dir]);
  // A folder another git is still filling: removed once it has done, if within a few tries.
  await rm(dir, { recursive: true, force: true, maxRetries: 4, retryDelay: 250 });
  if (removed.exitCode === 0) return;
  // Forget just this registration; `git worktree prune` would also drop the user's orphans before prune() reports them.
  const admin = adminDirOf(repo, dir);
  if (admin) await rm(admin, { recursive: true, force: true });
}
