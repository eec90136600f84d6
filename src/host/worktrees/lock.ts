// One lock per repository, across every window and CLI run on the machine: concurrent
// `git worktree add`/`remove`/`prune` corrupt `.git/worktrees`, and a merge must see refs hold still.
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { homeLayout, repoKey } from '../home';
import { withFileLock } from '../util/fileLock';
import type { Repo } from './repo';

export interface RepoLockOptions {
  /** Folder of lock files; default `<Switchyard home>/locks`. */
  locksDir?: string;
  /** How long to wait for other git work on the repository (this process's and others') before giving up. */
  timeoutMs?: number;
}

// A merge in a large repository checks out a full tree; queued sessions wait that long, not forever.
const DEFAULT_TIMEOUT_MS = 2 * 60_000;

/** Repositories whose lock this async call chain holds, so one locked operation may call another (commitAll inside mergeBack). */
const held = new AsyncLocalStorage<ReadonlySet<string>>();

export function repoLockPath(repo: Repo, locksDir: string = homeLayout().locksDir): string {
  return path.join(locksDir, `${repoKey(repo.identityRoot)}.lock`);
}

/** Runs `fn` holding the repository's lock; re-entrant within one async call chain. */
export async function withRepoLock<T>(repo: Repo, fn: () => Promise<T>, opts: RepoLockOptions = {}): Promise<T> {
  const mine = held.getStore();
  if (mine?.has(repo.gitCommonDir)) return fn();
  const lockPath = path.resolve(repoLockPath(repo, opts.locksDir));
  return withFileLock(lockPath, () => held.run(new Set([...(mine ?? []), repo.gitCommonDir]), fn), { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
}
