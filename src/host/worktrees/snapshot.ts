// The whole state of a worktree (tracked + untracked, .gitignore respected) as one git tree,
// built in a private index so the worktree's own index, and the agent using it, are never touched.
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GitCommandError } from './errors';
import { gitLine, gitOutput } from './git';
import { filtersOff } from './filtersOff';
import { excluding, nestedRepos } from './nestedRepos';
import { inWorktree, resolveWorktree, type WorktreeContext } from './registry';
import { LargeFiles } from './largeFiles';
import type { Repo } from './repo';
import { makeDir } from '../util/makeDir';

const MAX_SKIPPED = 50;

/** Calls sharing one private index file take turns: git would fail on its `index.lock` otherwise. */
const indexQueues = new Map<string, Promise<unknown>>();

/**
 * Tree id of everything in the worktree. Reusing the same `indexFile` makes repeat calls cheap: git
 * only re-hashes files whose stat data changed. Same content → same id, whatever the commits.
 */
export async function snapshotTree(ctx: WorktreeContext, indexFile: string): Promise<string> {
  const index = path.resolve(indexFile);
  const previous = indexQueues.get(index) ?? Promise.resolve();
  const run = previous.then(() => writeSnapshot(ctx, index));
  const tail = run.catch(() => undefined);
  indexQueues.set(index, tail);
  try {
    return await run;
  } finally {
    if (indexQueues.get(index) === tail) indexQueues.delete(index);
  }
}

export interface FingerprintOptions {
  /** The repository the worktree belongs to (from openRepo); pins git to it. */
  repo?: Repo;
}

/** A hash of the worktree's whole state; changes on any edit and returns to the same value when undone. */
export async function worktreeFingerprint(worktree: string, indexFile: string, opts: FingerprintOptions = {}): Promise<string> {
  return snapshotTree(await resolveWorktree(worktree, opts.repo), indexFile);
}

async function writeSnapshot(ctx: WorktreeContext, index: string): Promise<string> {
  await makeDir(path.dirname(index));
  // Seeded from the real index so the first call reuses its stat cache instead of hashing every file.
  const realIndex = path.join(ctx.gitDir, 'index');
  const fresh = !existsSync(index);
  if (fresh && existsSync(realIndex)) await copyFile(realIndex, index);
  const opts = inWorktree(ctx, { env: { GIT_INDEX_FILE: index, LC_ALL: 'C' } });
  // Repositories inside the worktree (an agent's `git init` or clone, submodules) are left out: git would
  // run inside them, with their own config (nestedRepos.ts). Their files are no part of the branch anyway.
  const nested = await nestedRepos(ctx.worktree, opts);
  const skipped: string[] = [...nested.untracked, ...nested.gitlinks];
  // Large untracked files are stood in for, not hashed (largeFiles.ts); a new index holds no stand-ins yet.
  const largeFiles = await LargeFiles.load(index, { fresh });
  const large = await largeFiles.scan(ctx.worktree, nested.untrackedFiles);
  // The files as they are: no filter driver of the user's runs on what an agent wrote (filtersOff.ts).
  const looking = { ...opts, config: await filtersOff(ctx.worktree, ctx.repo.gitCommonDir, opts) };
  for (;;) {
    const args = ['add', '--all', '--', ':/', ...excluding([...skipped, ...large.keys()])];
    const added = await gitOutput(ctx.worktree, args, looking);
    if (added.exitCode === 0) break;
    // A nested repository without commits made since the listing makes `git add` fail outright.
    const empty = [...added.stderr.matchAll(/'(.+?)\/?' does not have a commit checked out/g)].map(m => m[1]!).filter(p => !skipped.includes(p));
    if (empty.length === 0 || skipped.length > MAX_SKIPPED) throw new GitCommandError(args, added.exitCode, added.stdout, added.stderr);
    skipped.push(...empty);
  }
  await largeFiles.standIn(ctx.worktree, large, looking);
  return gitLine(ctx.worktree, ['write-tree'], looking);
}
