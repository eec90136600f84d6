// Session worktrees: create, remove (asking first when work would be lost), prune orphans.
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DiscardResult } from '../../protocol/sessions';
import { WorktreeError } from './errors';
import { git, gitOutput } from './git';
import { commitsOnNoBranch, dirtyFiles, filesInBareSubmoduleFolders, unmergedCommits, unpushedSubmoduleCommits } from './inspect';
import { withRepoLock, type RepoLockOptions } from './lock';
import { canonicalPath, isInside } from './paths';
import { adminDirOf, inWorktree, listWorktrees, resolveWorktree, type WorktreeEntry } from './registry';
import { assertBranchName, branchTip, branchTips, openRepo, resolveCommit, type Repo } from './repo';
import { uniqueBranch, worktreeDirName } from './slug';
import { removeStaleTempWorktrees } from './tempWorktree';
import { makeDir } from '../util/makeDir';

export { commitAll, AGENT_IDENTITY, type GitIdentity } from './commit';
export { worktreeFingerprint } from './snapshot';
export { listWorktrees, type WorktreeEntry } from './registry';

export type CreateWorktreeOptions = RepoLockOptions & {
  repoRoot: string;
  /** The repository at repoRoot, when the caller has opened it already (three git processes fewer). */
  repo?: Repo;
  /** Folder that holds this repository's worktrees (outside the checkout). */
  worktreesDir: string;
  /** Branch or commit the session starts from. */
  base: string;
  /** Called with the branch and folder chosen, under the lock, before git makes either. */
  beforeAdd?: (planned: PlannedWorktree) => Promise<void>;
  /** Called with the pid of the git that adds the worktree, once it runs: it may outlive this process. */
  onAdding?: (gitPid: number) => void;
} & (
    | { /** Exact branch to create; fails if it exists. */ branch: string; slug?: undefined }
    | { /** Pick the first free `switchyard/<slug>[-n]` while holding the lock; never one of `reserved` (uniqueBranch). */ slug: string; reserved?: readonly string[]; branch?: undefined }
  );

export interface CreatedWorktree {
  worktree: string;
  baseCommit: string;
  branch: string;
}

/** What a creation is about to make: told before git makes anything, so a creation cut off can be undone. */
export type PlannedWorktree = CreatedWorktree;

/** `git worktree add -b <branch> <worktreesDir>/<slug> <baseCommit>`, serialised per repository. */
export async function createWorktree(opts: CreateWorktreeOptions): Promise<CreatedWorktree> {
  const repo = opts.repo ?? (await openRepo(opts.repoRoot));
  const parent = canonicalPath(opts.worktreesDir);
  return withRepoLock(
    repo,
    async () => {
      await checkOutsideCheckouts(repo, parent);
      // One git process answers both: the base is usually a local branch, and the new name must not be one.
      const tips = await branchTips(repo.root);
      const baseCommit = tips.get(opts.base) ?? (await resolveCommit(repo.root, opts.base));
      const branch = opts.slug !== undefined ? await uniqueBranch(repo.root, opts.slug, { worktreesDir: parent, branches: [...tips.keys()].sort(), reserved: opts.reserved }) : await newBranchName(repo, opts.branch);
      const dir = path.join(parent, worktreeDirName(branch));
      if (existsSync(dir)) throw new WorktreeError('path-exists', `${dir} already exists; remove it or pick another branch name`);
      await makeDir(parent);
      await opts.beforeAdd?.({ worktree: canonicalPath(dir), baseCommit, branch });
      const added = await gitOutput(repo.root, ['worktree', 'add', '-b', branch, dir, baseCommit], opts.onAdding ? { onSpawn: opts.onAdding } : {}).catch(async (e: unknown) => {
        // A git killed part-way by a signal may have made the branch, or the folder, already: undone. Not
        // one that may still be adding (its launcher went): that is left to the creation's note, which a later
        // process undoes once this one and the git have ended (unfinishedCreates.ts).
        // Its error is the one said, whatever the undoing meets.
        if (!mayStillBeAdding(e)) await undoFailedAdd(repo, branch, baseCommit, dir).catch(() => undefined);
        throw e;
      });
      if (added.exitCode !== 0) {
        await undoFailedAdd(repo, branch, baseCommit, dir);
        throw new WorktreeError('git-failed', `could not create the worktree ${dir}: ${added.stderr.trim() || `git exited ${added.exitCode}`}`);
      }
      return { worktree: canonicalPath(dir), baseCommit, branch };
    },
    opts,
  );
}

/**
 * A `worktree add` that failed without git's own exit or a signal's (it could not be started, or the launcher
 * process that started it went): the git may still be at work, so what it made is not undone here.
 */
export function mayStillBeAdding(err: unknown): boolean {
  return err instanceof WorktreeError && err.code === 'git-failed' && err.cause !== undefined;
}

/** Worktrees folders found outside every checkout of a repository; a fleet creates many sessions in one. */
const outsideCheckouts = new Set<string>();

async function checkOutsideCheckouts(repo: Repo, parent: string): Promise<void> {
  const key = `${repo.gitCommonDir}\0${parent}`;
  if (outsideCheckouts.has(key)) return;
  const host = (await listWorktrees(repo.root)).find(w => !w.missing && isInside(parent, w.path));
  if (host || isInside(parent, repo.gitCommonDir)) {
    throw new WorktreeError('inside-checkout', `the worktrees folder ${parent} is inside ${host?.path ?? repo.gitCommonDir}; choose a folder outside the checkout`);
  }
  outsideCheckouts.add(key);
}

export interface RemoveWorktreeOptions extends RepoLockOptions {
  repoRoot: string;
  worktree: string;
  /** The session's branch. */
  branch: string;
  /** Branch (or commit) that "unmerged" is measured against: the session's base branch. */
  base: string;
  /** The user confirmed losing uncommitted work / leaving unmerged commits behind. */
  force?: boolean;
  /**
   * Asks even when forced if the worktree's submodules hold commits no remote has (a merge's clean-up: the
   * user confirmed nothing, and the merge carried only the superproject's commits).
   */
  spareSubmoduleWork?: boolean;
  /** true: delete the branch; false: keep it; unset: delete it only when it holds no unmerged work. */
  deleteBranch?: boolean;
}

/** Removes a session's worktree; without `force`, asks first when uncommitted or unmerged work would be left. */
export async function removeWorktree(opts: RemoveWorktreeOptions): Promise<DiscardResult> {
  const repo = await openRepo(opts.repoRoot);
  const target = canonicalPath(opts.worktree);
  return withRepoLock(
    repo,
    async () => {
      const registered = await listWorktrees(repo.root);
      const entry = registered.find(w => w.path === target);
      if (entry?.main) throw new WorktreeError('not-a-worktree', `${target} is the repository's own checkout; it is never removed`);
      if (!entry && existsSync(target)) throw new WorktreeError('not-a-worktree', `${target} is not a worktree of ${repo.identityRoot}; not removing it`);
      const present = entry !== undefined && !entry.missing;
      const ctx = present ? await resolveWorktree(target, repo) : undefined;
      // With what git cannot see: files in a submodule's folder that was never set up.
      const uncommitted = ctx ? [...await dirtyFiles(target, inWorktree(ctx), ctx.repo.gitCommonDir), ...await filesInBareSubmoduleFolders(target)] : [];
      const unmerged = await unmergedCommits(repo.root, opts.branch, opts.base);
      // Commits made on a detached HEAD are on no branch: removing the worktree would lose them.
      const detached = present && entry.branch === null && entry.head ? await commitsOnNoBranch(repo.root, entry.head) : 0;
      // Counted in the admin folder even when the worktree's folder is missing (moved, deleted): forgetting
      // the worktree removes that folder, and the submodule clones in it.
      const admin = ctx?.gitDir ?? (entry ? adminDirOf(repo, target) : null);
      const submodules = admin ? await unpushedSubmoduleCommits(admin) : 0;
      // A merge's clean-up committed all it could first: what is left uncommitted is in submodules, and kept.
      const asks = !opts.force ? uncommitted.length > 0 || unmerged > 0 || detached > 0 || submodules > 0 : opts.spareSubmoduleWork === true && (submodules > 0 || uncommitted.length > 0);
      if (asks) {
        return {
          ok: false, needsConfirmation: true, uncommittedFiles: uncommitted, unmergedCommits: unmerged + detached,
          ...(detached > 0 ? { detachedCommits: detached } : {}),
          ...(submodules > 0 ? { submoduleCommits: submodules } : {}),
        };
      }
      if (entry?.locked) throw new WorktreeError('worktree-locked', `${target} is locked (git worktree lock); unlock it with "git worktree unlock" first`);
      if (present) await removeRegistered(repo, target);
      else if (entry) await forget(repo, target);
      const branchKept = await settleBranch(repo, opts, unmerged, registered, target);
      return { ok: true, branchKept };
    },
    opts,
  );
}

export interface PrunedWorktree {
  path: string;
  branch: string | null;
  head: string | null;
}

/**
 * Finds worktrees whose folder was deleted by hand and unregisters them. Branches stay. A worktree is
 * orphaned when the folder that held it is still there, or lies inside `within` (Switchyard's home,
 * which is there: a folder missing from it was deleted). A worktrees folder elsewhere that is missing
 * as a whole may be on a drive that is not mounted now, and come back with its worktrees.
 */
export async function prune(repoRoot: string, opts: RepoLockOptions & { within?: string } = {}): Promise<PrunedWorktree[]> {
  const repo = await openRepo(repoRoot);
  return withRepoLock(
    repo,
    async () => {
      await removeStaleTempWorktrees(repo);
      const home = opts.within !== undefined && existsSync(opts.within) ? canonicalPath(opts.within) : undefined;
      const gone = (dir: string) => existsSync(path.dirname(dir)) || (home !== undefined && isInside(dir, home));
      const orphaned = (await listWorktrees(repo.root)).filter(w => w.missing && !w.locked && gone(w.path));
      if (orphaned.length === 0) return [];
      // Not `git worktree prune`: it forgets every missing worktree, those only away for now included.
      for (const w of orphaned) await forget(repo, w.path);
      const still = new Set((await listWorktrees(repo.root)).map(w => w.path));
      return orphaned.filter(w => !still.has(w.path)).map(w => ({ path: w.path, branch: w.branch, head: w.head }));
    },
    opts,
  );
}

/** Unregisters one worktree whose folder is gone, leaving git's other registrations alone. */
async function forget(repo: Repo, dir: string): Promise<void> {
  const admin = adminDirOf(repo, dir);
  if (admin) await rm(admin, { recursive: true, force: true });
}

async function newBranchName(repo: Repo, branch: string): Promise<string> {
  await assertBranchName(repo.root, branch);
  if (await branchTip(repo.root, branch)) throw new WorktreeError('branch-exists', `branch ${branch} already exists`);
  return branch;
}

/**
 * Undoes a creation whose process ended before its session was saved (sessions/unfinishedCreates.ts), as a
 * failed one is undone, unless something was done since: a commit, or a file changed. Says whether it is gone.
 */
export async function undoUnfinishedCreate(repoRoot: string, planned: PlannedWorktree, opts: RepoLockOptions): Promise<boolean> {
  const repo = await openRepo(repoRoot);
  return withRepoLock(
    repo,
    async () => {
      const entry = (await listWorktrees(repo.root)).find(w => w.path === planned.worktree);
      const tip = await branchTip(repo.root, planned.branch);
      if (tip && tip !== planned.baseCommit) return false;
      if (entry?.lockReason === 'initializing') {
        // git's own mark of an add it never finished: a part of a checkout, which nobody can have worked in.
      } else if (entry && !entry.missing) {
        if (entry.head !== planned.baseCommit) return false;
        const ctx = await resolveWorktree(planned.worktree, repo);
        if ((await dirtyFiles(planned.worktree, inWorktree(ctx), ctx.repo.gitCommonDir)).length) return false;
      } else if (!entry && existsSync(planned.worktree)) {
        // git was cut off before it registered the folder, which then holds nothing of a checkout yet.
        if ((await readdir(planned.worktree)).some(f => f !== '.git')) return false;
      }
      await undoFailedAdd(repo, planned.branch, planned.baseCommit, planned.worktree);
      return true;
    },
    opts,
  );
}

/** `worktree add -b` can fail after creating the branch (e.g. checkout error): leave no half-made session behind. */
async function undoFailedAdd(repo: Repo, branch: string, baseCommit: string, dir: string): Promise<void> {
  const holders = await listWorktrees(repo.root);
  // Twice forced: a worktree git is still adding is locked.
  if (holders.some(w => w.path === canonicalPath(dir))) {
    const removed = await gitOutput(repo.root, ['worktree', 'remove', '--force', '--force', dir]);
    if (removed.exitCode !== 0) await forget(repo, dir);
  }
  if ((await branchTip(repo.root, branch)) === baseCommit && !holders.some(w => w.branch === branch && w.path !== canonicalPath(dir))) {
    await gitOutput(repo.root, ['branch', '-D', branch]);
  }
  await rm(dir, { recursive: true, force: true });
}

async function removeRegistered(repo: Repo, dir: string): Promise<void> {
  const removed = await gitOutput(repo.root, ['worktree', 'remove', '--force', dir]);
  if (removed.exitCode === 0) return;
  // git refuses some worktrees it could not clean (e.g. with submodules, whose work was counted above):
  // delete the folder, then unregister it alone (`git worktree prune` would forget every missing one).
  await rm(dir, { recursive: true, force: true });
  await forget(repo, dir);
  if ((await listWorktrees(repo.root)).some(w => w.path === dir)) {
    throw new WorktreeError('git-failed', `could not remove the worktree ${dir}: ${removed.stderr.trim()}`);
  }
}

async function settleBranch(repo: Repo, opts: RemoveWorktreeOptions, unmerged: number, registered: WorktreeEntry[], removed: string): Promise<boolean> {
  if (!(await branchTip(repo.root, opts.branch))) return false;
  const wanted = opts.deleteBranch ?? unmerged === 0;
  const elsewhere = registered.some(w => w.branch === opts.branch && w.path !== removed && !w.missing);
  if (!wanted) return true;
  if (elsewhere) {
    if (opts.deleteBranch) throw new WorktreeError('branch-checked-out', `branch ${opts.branch} is checked out in another worktree; the worktree was removed but the branch kept`);
    return true;
  }
  await git(repo.root, ['branch', '-D', opts.branch]);
  return false;
}
