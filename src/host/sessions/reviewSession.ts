// Reviewing a session's work and finishing it: the changed files, merging back, discarding, and the
// repository-level housekeeping around them. The user's checkout is never left half-merged (the git
// layer merges in a temporary worktree), and nothing with unmerged work is deleted without asking.
import type { ChangesResult, DiscardParams, DiscardResult, MergeParams, MergeResult, RepoBranches, RoleInfo } from '../../protocol/sessions';
import { ACTIVE_STATUSES, CLOSED_STATUSES } from '../../protocol/types';
import { loadRoles, toRoleInfo } from '../agent/roles';
import { UserError } from '../errors';
import type { Progress } from '../handlers/handler';
import { changes as worktreeChanges } from '../worktrees/changes';
import { commitAll } from '../worktrees/commit';
import { errorMessage, WorktreeError } from '../worktrees/errors';
import { git, gitOutput } from '../worktrees/git';
import { mergeBack } from '../worktrees/merge';
import { currentBranch, listBranches, openRepo } from '../worktrees/repo';
import { prune, removeWorktree } from '../worktrees/worktrees';
import type { LiveSession } from './liveSession';
import { takenElsewhere } from './foreignOwner';
import { untrustedProblem, worktreeGoneProblem } from './preflight';
import { discardWithoutRepository, repositoryGone, repositoryGoneMessage } from './repositoryGone';
import type { SessionManager } from './sessionManager';
import { folderWithin } from './workFolder';

export async function sessionChanges(mgr: SessionManager, id: string): Promise<ChangesResult> {
  const s = mgr.get(id);
  if ((CLOSED_STATUSES as readonly string[]).includes(s.record.status)) {
    throw new UserError(`Session "${s.record.title}" is ${s.record.status}; its worktree is gone.`);
  }
  refuseUntrusted(mgr, 'changes');
  const gone = worktreeGoneProblem(s.record, 'Its uncommitted changes cannot be read.');
  if (gone) throw new UserError(gone);
  try {
    return await worktreeChanges(s.record.worktree, s.record.baseCommit, { repo: await mgr.ctx.fingerprints.repoOf(s.record.repo) });
  } catch (err) {
    throw new UserError(`Could not read the changes of "${s.record.title}": ${errorMessage(err)}`);
  }
}

function refuseUntrusted(mgr: SessionManager, action: 'merge' | 'discard' | 'changes'): void {
  const problem = untrustedProblem(mgr.ctx.settings(), action);
  if (problem) throw new UserError(problem);
}

export async function fileAtBase(mgr: SessionManager, id: string, file: string): Promise<{ content: string | null }> {
  const s = mgr.get(id);
  if (file.startsWith('/') || file.split('/').includes('..')) throw new UserError(`${file} is not a path inside the repository.`);
  const repo = await mgr.ctx.fingerprints.repoOf(s.record.repo);
  try {
    return { content: await git(repo.root, ['show', `${s.record.baseCommit}:${file}`]) };
  } catch {
    return { content: null };
  }
}

export async function mergeSession(mgr: SessionManager, p: MergeParams, progress: Progress): Promise<MergeResult> {
  const s = mgr.get(p.sessionId);
  refuseUntrusted(mgr, 'merge');
  const mergeable = () => {
    const { status, title } = s.record;
    // Queued, it waits to run (for the first time, or on): merged when it has, or discarded.
    if (status === 'queued') throw new UserError(`Session "${title}" is queued to run: merge it once it has run (\`switchyard resume ${s.record.id}\` runs it if the run that queued it ended), or discard it.`);
    if ((ACTIVE_STATUSES as readonly string[]).includes(status)) {
      throw new UserError(`Session "${title}" is still ${status}; pause or stop it before merging.`);
    }
    if ((CLOSED_STATUSES as readonly string[]).includes(status)) throw new UserError(`Session "${title}" is already ${status}.`);
  };
  // Judged on the record as on disk when another process may hold it: a copy here may still say running.
  await mgr.releasedElsewhere(s, 'merge');
  mergeable();
  await runEnded(s, progress);
  // It may have been resumed, merged or discarded meanwhile; and the record is the newest now (another
  // process's, when one held it). Held here while it merges: no other process resumes it meanwhile.
  await holdForReview(mgr, s, 'merge', () => {
    mergeable();
    return true;
  });
  return lettingGo(mgr, s, () => merge(mgr, s, p, progress));
}

async function merge(mgr: SessionManager, s: LiveSession, p: MergeParams, progress: Progress): Promise<MergeResult> {
  const r = s.record;
  progress.report(`Merging ${r.branch} into ${r.baseBranch} (${p.strategy})…`);
  const result = await mergeBack({
    repoRoot: r.repo,
    branch: r.branch,
    baseBranch: r.baseBranch,
    strategy: p.strategy,
    // An empty message would leave git to write one of its own.
    message: p.message?.trim() ? p.message : `${r.title}\n\nMerged from Switchyard session ${r.id} (${r.branch}).`,
    pendingMessage: `${r.title} (uncommitted work)`,
    worktree: r.worktree,
    locksDir: mgr.ctx.home.locksDir,
  });
  const earlier = !result.ok && result.reason === 'nothing-to-merge' ? await landedBefore(mgr, s) : undefined;
  if (!result.ok && !earlier) {
    s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'warning', text: `Merge (${p.strategy}) not done: ${result.message}` });
    return result;
  }
  const landed: Extract<MergeResult, { ok: true }> = result.ok ? result : { ok: true, commit: earlier!, strategy: p.strategy };
  progress.report('Removing the session worktree…');
  // The work is on the base branch now; the worktree and branch are no longer needed, unless its submodules
  // hold commits found nowhere else (the merge carried only the commits that name them).
  const removed = await removeWorktree({
    repoRoot: r.repo, worktree: r.worktree, branch: r.branch, base: r.baseBranch, force: true, spareSubmoduleWork: true,
    deleteBranch: p.strategy !== 'squash' ? undefined : true, locksDir: mgr.ctx.home.locksDir,
  }).catch(err => (err instanceof WorktreeError && err.code === 'branch-checked-out'
    // The worktree went; the branch, checked out in another worktree of the user's, stays with it.
    ? { ok: true as const, branchKept: true, branchElsewhere: true }
    : { ok: false as const, error: errorMessage(err) }));
  const kept = 'error' in removed ? `it could not be removed: ${removed.error}`
    : !removed.ok ? submoduleWorkKept(removed)
    : undefined;
  const merged = result.ok
    ? `Merged into ${r.baseBranch} (${p.strategy}) as ${landed.commit.slice(0, 8)}.`
    : `Its work was already on ${r.baseBranch} (${landed.commit.slice(0, 8)}): merged earlier, by a merge that did not get to finish or by hand.`;
  if (!kept) {
    mgr.setStatus(s, 'merged', 'branchElsewhere' in removed ? `${merged} Its branch ${r.branch} is kept: it is checked out in another worktree.` : merged);
    return landed;
  }
  const worktreeKept = `The worktree ${r.worktree} is kept: ${kept}.`;
  s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'warning', text: `Merged. ${worktreeKept}` });
  r.worktreeKept = true;
  mgr.setStatus(s, 'merged', `${merged} ${worktreeKept}`);
  return { ...landed, worktreeKept };
}

/**
 * The base's tip when the session's branch has commits of its own that landed on the base already (a merge
 * killed once it had landed, or one made by hand): the branch's tip is in the base's history, or (a squash)
 * a commit there names the session. The merge is then only its clean-up. Undefined otherwise: a branch that
 * never had work of its own, or whose work undid itself, has nothing to merge.
 */
async function landedBefore(mgr: SessionManager, s: LiveSession): Promise<string | undefined> {
  const r = s.record;
  const repo = await mgr.ctx.fingerprints.repoOf(r.repo);
  const [branch, base] = [`refs/heads/${r.branch}`, `refs/heads/${r.baseBranch}`];
  const own = await gitOutput(repo.root, ['rev-list', '--count', branch, '--not', r.baseCommit]);
  if (own.exitCode !== 0 || Number(own.stdout.trim()) === 0) return undefined;
  const tip = await gitOutput(repo.root, ['rev-parse', '--verify', '--quiet', `${base}^{commit}`]);
  if (tip.exitCode !== 0) return undefined;
  const inHistory = (await gitOutput(repo.root, ['merge-base', '--is-ancestor', branch, base])).exitCode === 0;
  const named = !inHistory && (await gitOutput(repo.root, ['log', '--format=%H', '-F', `--grep=Switchyard session ${r.id} `, base, '--not', r.baseCommit])).stdout.trim() !== '';
  return inHistory || named ? tip.stdout.trim() : undefined;
}

/** The reason a session running when it is discarded ends with, where it runs. */
const DISCARDING = 'Stopped to be discarded.';

const commitsWord = (n: number) => `${n} ${n === 1 ? 'commit' : 'commits'}`;

/** Why a merge's clean-up kept the worktree: work in its submodules that the merge could not carry. */
function submoduleWorkKept(r: { submoduleCommits?: number; uncommittedFiles?: string[] }): string {
  const said: string[] = [];
  if (r.submoduleCommits) said.push(`its submodules hold ${commitsWord(r.submoduleCommits)} that no remote of theirs has`);
  if (r.uncommittedFiles?.length) said.push(`it holds uncommitted changes that its branch cannot (${listedFiles(r.uncommittedFiles)}: a submodule's files are its own repository's)`);
  return `${said.join(', and ')}. Save them (in a submodule, commit and push them in its own repository), then discard the session to remove it`;
}

function listedFiles(files: readonly string[]): string {
  return files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`;
}

export async function discardSession(mgr: SessionManager, p: DiscardParams): Promise<DiscardResult> {
  const s = mgr.get(p.sessionId);
  // Discarded with its branch kept, it may still be asked to delete the branch; otherwise there is nothing left to do.
  const done = () => s.record.status === 'discarded' && !(p.deleteBranch && s.record.branchKept);
  if (done()) return { ok: true, branchKept: s.record.branchKept ?? false };
  refuseUntrusted(mgr, 'discard');
  const mergedWhole = () => {
    if (s.record.status === 'merged' && !s.record.worktreeKept) throw new UserError(`Session "${s.record.title}" is merged: its work is on ${s.record.baseBranch} and its worktree is gone; there is nothing to discard.`);
  };
  mergedWhole();
  // Said where it runs (a CLI run prints it): not a stop to resume from.
  if ((ACTIVE_STATUSES as readonly string[]).includes(s.record.status)) await mgr.stop(s.id, DISCARDING);
  await mgr.releasedElsewhere(s, 'discard');
  await runEnded(s);
  // The newest record (another process's, when one held it): what is set below must land on it.
  const held = await holdForReview(mgr, s, 'discard', () => {
    if (done()) return false;
    // Merged meanwhile (a merge here, or in another process, that held it first).
    mergedWhole();
    // Resumed meanwhile (here, or elsewhere and then let go of): its agent would write into what is removed.
    if (s.run || (ACTIVE_STATUSES as readonly string[]).includes(s.record.status)) {
      throw new UserError(`Session "${s.record.title}" was resumed meanwhile; stop it before discarding it.`);
    }
    return true;
  });
  if (!held) return { ok: true, branchKept: s.record.branchKept ?? false };
  return lettingGo(mgr, s, () => discard(mgr, s, p));
}

async function discard(mgr: SessionManager, s: LiveSession, p: DiscardParams): Promise<DiscardResult> {
  const r = s.record;
  if (p.commitFirst && p.deleteBranch) throw new UserError('Committing the uncommitted work to the branch first keeps the branch: it cannot also be deleted.');
  if (repositoryGone(s)) {
    if (p.commitFirst) throw new UserError(`${repositoryGoneMessage(s)} Nothing can be committed to its branch.`);
    return discardWithoutRepository(mgr, s, Boolean(p.force));
  }
  const remove = async (force: boolean): Promise<DiscardResult> => {
    try {
      return await removeWorktree({
        repoRoot: r.repo, worktree: r.worktree, branch: r.branch, base: r.baseBranch,
        force, deleteBranch: p.deleteBranch, locksDir: mgr.ctx.home.locksDir,
      });
    } catch (err) {
      throw new UserError(`Could not discard "${r.title}": ${errorMessage(err)}`);
    }
  };
  // Committed first, its work is all on the branch kept: only what the commit cannot hold (the submodules'
  // own commits) still asks for force. Looked at before committing, so a refusal changes nothing.
  let result = await remove(Boolean(p.force) && !p.commitFirst);
  if (!result.ok && p.commitFirst && (p.force || !result.submoduleCommits)) {
    await commitBeforeDiscard(mgr, s);
    result = await remove(true);
  }
  if (!result.ok) return result;
  r.branchKept = result.branchKept;
  mgr.ctx.fingerprints.forget(r.id);
  if (r.status === 'merged') {
    // Its work is on the base branch: it stays merged, without the worktree the merge left.
    r.worktreeKept = undefined;
    mgr.setStatus(s, 'merged', `Merged into ${r.baseBranch}; its worktree was removed later${result.branchKept ? `, and branch ${r.branch} kept` : ''}.`);
    return result;
  }
  mgr.setStatus(s, 'discarded', result.branchKept ? `Worktree removed; branch ${r.branch} kept.` : 'Worktree and branch removed.');
  return result;
}

/** Its uncommitted work onto its branch, which a discard then keeps; refused whole, nothing is removed. */
async function commitBeforeDiscard(mgr: SessionManager, s: LiveSession): Promise<void> {
  const r = s.record;
  try {
    const repo = await mgr.ctx.fingerprints.repoOf(r.repo);
    const commit = await commitAll(r.worktree, `${r.title} (uncommitted work, kept when discarded)\n\nSwitchyard session ${r.id}`, undefined, { repo, locksDir: mgr.ctx.home.locksDir });
    if (commit) s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'info', text: `Its uncommitted work was committed to ${r.branch} (${commit.slice(0, 8)}) before the worktree was removed.` });
  } catch (err) {
    throw new UserError(`Could not commit the uncommitted work of "${r.title}" to ${r.branch}, so nothing was removed: ${errorMessage(err)}`);
  }
}

/**
 * Takes the session for a merge or discard when `check` says so on its newest record (it throws when the
 * step cannot be done, and returns false when there is nothing left to do): another process that resumes it
 * meanwhile would start an agent in the worktree being merged or removed. True when it was taken.
 */
async function holdForReview(mgr: SessionManager, s: LiveSession, what: 'merge' | 'discard', check: () => boolean): Promise<boolean> {
  const busy = () => {
    if (s.underReview) throw new UserError(`${s.underReview} already.`);
  };
  busy();
  let taken = false;
  const free = await mgr.foreign.whileFree(s, () => {
    // Again under the lock: a second merge or discard here may have waited for it behind the first.
    busy();
    if (!check()) return;
    mgr.claim(s);
    mgr.save(s);
    s.reviewing = what;
    taken = true;
  });
  if (!free) throw new UserError(`${takenElsewhere(s)} Try to ${what} it again once that is done.`);
  return taken;
}

/** Lets go of a session held for a merge or discard once that has ended, however it ended. */
async function lettingGo<T>(mgr: SessionManager, s: LiveSession, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    s.reviewing = undefined;
    if (s.record.owner?.hostId === mgr.ctx.hostId && !s.run && !(ACTIVE_STATUSES as readonly string[]).includes(s.record.status)) {
      s.record.owner = undefined;
      mgr.save(s);
      mgr.changed(s);
    }
  }
}

/**
 * A paused or stopped session's agent may still be ending (a command gets a grace period after SIGTERM)
 * and writing in its worktree: its work is merged or removed only once it has.
 */
async function runEnded(s: LiveSession, progress?: Progress): Promise<void> {
  if (!s.run) return;
  progress?.report(`Waiting for the agent of "${s.record.title}" to stop…`);
  await s.run.done.catch(() => {});
}

export async function pruneWorktrees(mgr: SessionManager, repo: string): Promise<{ pruned: string[] }> {
  try {
    const root = (await openRepo(repo)).identityRoot;
    const pruned = await prune(root, { locksDir: mgr.ctx.home.locksDir, within: mgr.ctx.home.root });
    // Sessions whose worktree folder was deleted by hand are over: their branch is kept.
    for (const s of mgr.all()) {
      if (pruned.some(p => p.path === s.record.worktree) && !(CLOSED_STATUSES as readonly string[]).includes(s.record.status)) {
        if (s.run) await mgr.stop(s.id);
        s.record.branchKept = true;
        mgr.setStatus(s, 'discarded', `Its worktree folder was deleted outside Switchyard; branch ${s.record.branch} kept.`);
      }
    }
    return { pruned: pruned.map(p => p.path) };
  } catch (err) {
    throw new UserError(errorMessage(err));
  }
}

export async function repoBranches(mgr: SessionManager, repo: string): Promise<RepoBranches> {
  try {
    const r = await openRepo(repo);
    // The checkout's status as a session's start reads it (and reuses it, started at once).
    const [current, branches, dirty] = await Promise.all([currentBranch(r.root), listBranches(r.root), mgr.checkoutLooks.dirtyFiles(r.root, r.gitCommonDir)]);
    const detachedAt = current === null ? (await gitOutput(r.root, ['rev-parse', '--short', 'HEAD'])).stdout.trim() || undefined : undefined;
    const folder = folderWithin(r.root, repo);
    return { current: current ?? 'HEAD', branches, ...(detachedAt ? { detachedAt } : {}), ...(dirty.length ? { uncommitted: dirty.length } : {}), ...(folder ? { folder } : {}) };
  } catch (err) {
    throw new UserError(errorMessage(err));
  }
}

export async function repoRoles(mgr: SessionManager, repo: string): Promise<RoleInfo[]> {
  const root = (await openRepo(repo).catch(err => { throw new UserError(errorMessage(err)); })).identityRoot;
  return (await loadRoles(root, msg => mgr.ctx.log('warn', msg))).map(toRoleInfo);
}
