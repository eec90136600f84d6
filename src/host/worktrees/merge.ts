// Merge back: land a session branch on its base by merge, squash or rebase. The work is done in a
// throwaway worktree; the base only moves, by fast-forward or compare-and-swap, once it succeeded.
import { existsSync, lstatSync } from 'node:fs';
import path from 'node:path';
import type { MergeResult } from '../../protocol/sessions';
import type { MergeStrategy } from '../../protocol/types';
import { AGENT_IDENTITY, commitAll, committerConfig } from './commit';
import { errorMessage } from './errors';
import { git, gitLine, gitOutput, splitNul, type GitCallOptions } from './git';
import { conflictedFiles, dirtyFiles, mergeChangesNothing, operationInProgress, touchedFiles } from './inspect';
import { withRepoLock, type RepoLockOptions } from './lock';
import { rebaseUnderWay, sessionWorktreeRefusal } from './mergeGuards';
import { canonicalPath } from './paths';
import { inWorktree, listWorktrees, resolveWorktree, type WorktreeContext, type WorktreeEntry } from './registry';
import { branchTip, openRepo, refKind, resolveCommit, type Repo } from './repo';
import { removeStaleTempWorktrees, TEMP_ENV, withTempWorktree } from './tempWorktree';

export interface MergeBackOptions extends RepoLockOptions {
  repoRoot: string;
  /** The session branch. */
  branch: string;
  baseBranch: string;
  strategy: MergeStrategy;
  /** Message of the merge or squash commit (rebase keeps the branch's own messages). */
  message?: string;
  /** Uncommitted work in the session worktree is committed first unless this is false (then: refused). */
  commitPending?: boolean;
  pendingMessage?: string;
  /** The session worktree as the session recorded it; when absent (or gone), the one that has `branch`. */
  worktree?: string;
}

type Attempt = { ok: true; commit: string } | { ok: false; result: MergeResult };

export async function mergeBack(opts: MergeBackOptions): Promise<MergeResult> {
  try {
    const repo = await openRepo(opts.repoRoot);
    return await withRepoLock(repo, () => mergeLocked(repo, opts), opts);
  } catch (err) {
    return refuse('error', errorMessage(err));
  }
}

/** A base that is no local branch, in words: a tag, a remote-tracking branch, or a commit (a detached HEAD's). */
async function whatRefIs(repoRoot: string, ref: string): Promise<string> {
  const full = (await gitOutput(repoRoot, ['rev-parse', '--symbolic-full-name', ref])).stdout.trim();
  return full.startsWith('refs/') ? refKind(full) : `${refKind(full)} (a detached HEAD)`;
}

async function mergeLocked(repo: Repo, opts: MergeBackOptions): Promise<MergeResult> {
  const { branch, baseBranch } = opts;
  if (branch === baseBranch) return refuse('error', `cannot merge ${branch} into itself`);
  await removeStaleTempWorktrees(repo);
  const baseTip = await branchTip(repo.root, baseBranch);
  if (!baseTip) {
    const started = await resolveCommit(repo.root, baseBranch).catch(() => null);
    return refuse('error', started
      ? `${branch} was started from ${/^[0-9a-f]{40,64}$/.test(baseBranch) ? baseBranch.slice(0, 10) : baseBranch}, ${await whatRefIs(repo.root, baseBranch)}, not a local branch: there is no branch to merge it into. Check out a branch and merge ${branch} into it with git.`
      : `the base branch ${baseBranch} does not exist`);
  }
  const branchStart = await branchTip(repo.root, branch);
  if (!branchStart) return refuse('error', `the branch ${branch} does not exist`);
  const rebasing = rebaseRefusal(repo, opts);
  if (rebasing) return rebasing;

  const worktrees = await listWorktrees(repo.root);
  const recorded = opts.worktree === undefined ? undefined : canonicalPath(opts.worktree);
  const sessionEntry = worktrees.find(w => w.path === recorded && !w.missing) ?? worktrees.find(w => w.branch === branch);
  if (sessionEntry?.main) {
    return refuse('error', `${branch} is checked out in ${sessionEntry.path}, the repository's own checkout. Check out another branch there (such as ${baseBranch}), then merge again. Nothing was changed.`);
  }
  const session = sessionEntry && !sessionEntry.missing ? await resolveWorktree(sessionEntry.path, repo) : null;
  let tip = branchStart;
  if (session) {
    const unfit = sessionWorktreeRefusal(session, branch) ?? (await unresolved(session));
    if (unfit) return refuse('error', `${unfit} Nothing was changed.`);
    const pending = await dirtyFiles(session.worktree, inWorktree(session), session.repo.gitCommonDir);
    if (pending.length > 0) {
      if (opts.commitPending === false) return refuse('error', `the session worktree has uncommitted changes (${listed(pending)}); commit them first`);
      tip = (await commitAll(session.worktree, opts.pendingMessage ?? `Uncommitted work of ${branch}`, AGENT_IDENTITY, { repo })) ?? tip;
    }
  }
  const result = await land(repo, opts, baseTip, tip, session);
  // A refusal after the session's pending work was committed must not claim that nothing changed.
  if (!result.ok && tip !== branchStart) {
    return { ...result, message: result.message.replace('Nothing was changed', `The session's uncommitted work was committed on ${branch}; nothing else was changed`) };
  }
  return result;
}

/** Lands `tip` on the base: the strategy in a temporary worktree, then the base (and, for rebase, the branch) moved. */
async function land(repo: Repo, opts: MergeBackOptions, baseTip: string, tip: string, session: WorktreeContext | null): Promise<MergeResult> {
  const { branch, baseBranch, strategy } = opts;
  if (await mergeChangesNothing(repo.root, baseTip, tip)) {
    return refuse('nothing-to-merge', `${branch} has nothing that is not already on ${baseBranch}`);
  }
  if (strategy === 'rebase' && Number(await gitLine(repo.root, ['rev-list', '--merges', '--count', tip, '--not', baseTip])) > 0) {
    return refuse('error', `${branch} has merge commits; a rebase would flatten them and could drop what was changed in them. Merge or squash it instead. Nothing was changed.`);
  }

  const identity = await committerConfig(repo.root);
  const start = strategy === 'rebase' ? tip : baseTip;
  const attempt = await withTempWorktree(repo, start, ctx => runStrategy(ctx, opts, baseTip, tip, identity));
  if (!attempt.ok) return attempt.result;
  const result = attempt.commit;
  if (result === baseTip) return refuse('nothing-to-merge', `every commit of ${branch} is already on ${baseBranch}`);

  // Both looked at again: the user's git runs outside our lock, and may have started a rebase or switched
  // branches while the strategy ran.
  const rebasing = rebaseRefusal(repo, opts);
  if (rebasing) return rebasing;
  const checkoutEntry = (await listWorktrees(repo.root)).find(w => w.branch === baseBranch && !w.missing);
  // A linked worktree that has the base (another session's, when sessions are stacked) is run pinned to
  // its registered admin folder, as every agent-writable worktree is.
  const checkout = checkoutEntry ? await checkoutOf(checkoutEntry, repo) : null;
  if (checkout) {
    const refusal = await checkoutRefusal(repo, checkout, baseTip, result);
    if (refusal) return refusal;
  }
  if (strategy === 'rebase') {
    const moved = await moveSessionBranch(repo, branch, tip, result, session);
    if (moved) return refuse('error', `${moved} Nothing was changed.`);
  }
  const advanced = await advanceBase(repo, baseBranch, baseTip, result, checkout, identity);
  if (advanced) {
    const rebased = strategy === 'rebase' ? ` ${branch} was rebased onto the old ${baseBranch}; merge again.` : ' Nothing was changed.';
    return refuse('error', `${advanced}${rebased}`);
  }
  return { ok: true, commit: result, strategy };
}

/** A rebase of either branch under way in some checkout: when it ends it puts its branch back over the merge. */
function rebaseRefusal(repo: Repo, opts: MergeBackOptions): MergeResult | null {
  const r = rebaseUnderWay(repo, [opts.baseBranch, opts.branch]);
  return r ? refuse('dirty-checkout', `${r.checkout} is in the middle of rebasing ${r.branch}; finish or abort that rebase, then merge again. Nothing was changed.`) : null;
}

/** Files left conflicted in the session worktree (a stash that did not apply cleanly leaves no other mark). */
async function unresolved(session: WorktreeContext): Promise<string | null> {
  const files = await conflictedFiles(session.worktree, inWorktree(session));
  return files.length > 0 ? `${session.worktree} has unresolved conflicts in ${listed(files)}; resolve them and commit, then merge again.` : null;
}

/** A checkout that has the base branch, and the options that run git in it. */
interface Checkout {
  path: string;
  git: GitCallOptions;
  /** A linked worktree (a session's, when sessions are stacked), not the repository's own checkout. */
  agentWritable: boolean;
}

async function checkoutOf(entry: WorktreeEntry, repo: Repo): Promise<Checkout> {
  return { path: entry.path, git: entry.main ? {} : inWorktree(await resolveWorktree(entry.path, repo)), agentWritable: !entry.main };
}

async function runStrategy(ctx: WorktreeContext, opts: MergeBackOptions, baseTip: string, tip: string, identity: string[]): Promise<Attempt> {
  const run = (args: string[], extra: GitCallOptions = {}) =>
    gitOutput(ctx.worktree, args, inWorktree(ctx, { env: TEMP_ENV, config: [...identity, ...(extra.config ?? [])] }));
  const { branch, baseBranch, strategy } = opts;
  let step;
  if (strategy === 'merge') {
    step = await run(['merge', '--no-ff', '--no-edit', '-m', opts.message?.trim() || `Merge branch '${branch}' into ${baseBranch}`, tip]);
  } else if (strategy === 'squash') {
    step = await run(['merge', '--squash', tip]);
    if (step.exitCode === 0) {
      // Older git cannot tell beforehand (no merge-tree --write-tree) that the work is already on base.
      if ((await run(['diff', '--cached', '--quiet'])).exitCode === 0) {
        return { ok: false, result: refuse('nothing-to-merge', `${branch} has nothing that is not already on ${baseBranch}`) };
      }
      step = await run(['commit', '--no-edit', '-m', opts.message?.trim() || `Squash-merge branch '${branch}' into ${baseBranch}`]);
    }
  } else {
    // User settings that would make a rebase move other refs or reorder commits do not apply here.
    step = await run(['rebase', '--quiet', baseTip], { config: ['rebase.updateRefs=false', 'rebase.autoSquash=false', 'rebase.autoStash=false'] });
  }
  if (step.exitCode !== 0) {
    const files = await conflictedFiles(ctx.worktree, inWorktree(ctx, { env: TEMP_ENV }));
    if (strategy === 'rebase') await run(['rebase', '--abort']);
    if (files.length === 0) return { ok: false, result: refuse('error', `git ${strategy} failed: ${(step.stderr || step.stdout).trim()}. Nothing was changed.`) };
    // The branch is checked out in the session's worktree: that is where git lets it be worked on.
    // Unless its folder was deleted by hand: git holds the branch for that worktree until it is pruned.
    const where = !opts.worktree ? '' : existsSync(opts.worktree) ? ` in its worktree, ${opts.worktree}` : ` (its worktree folder is gone: \`git worktree prune\` in the repository lets you check ${branch} out elsewhere)`;
    const advice = strategy === 'rebase'
      ? `merge or squash instead (after resolving the conflict on ${branch}${where}, e.g. by merging ${baseBranch} into it), or rebase ${branch} onto ${baseBranch} yourself and try again`
      : `resolve the conflict on ${branch}${where} (e.g. merge ${baseBranch} into it${opts.worktree && existsSync(opts.worktree) ? ' there' : ''}) and try again`;
    const message = `${strategy === 'rebase' ? `Rebasing ${branch} onto` : `Merging ${branch} into`} ${baseBranch} conflicts in ${listed(files)}. Nothing was changed; ${advice}.`;
    return { ok: false, result: { ok: false, reason: 'conflict', files, message } };
  }
  return { ok: true, commit: await gitLine(ctx.worktree, ['rev-parse', '--verify', 'HEAD'], inWorktree(ctx)) };
}

/** Why the checkout that has the base branch must not be fast-forwarded now, or null when it may. */
async function checkoutRefusal(repo: Repo, checkout: Checkout, baseTip: string, result: string): Promise<MergeResult | null> {
  const at = checkout.path;
  const op = await operationInProgress(at, checkout.git);
  if (op) return refuse('dirty-checkout', `${at} is in the middle of ${op}; finish or abort it, then merge again. Nothing was changed.`);
  // A stash that did not apply cleanly leaves conflicts and no other mark; git would refuse the fast-forward.
  const conflicts = await conflictedFiles(at, checkout.git);
  if (conflicts.length > 0) return refuse('dirty-checkout', `${at} has unresolved conflicts in ${listed(conflicts)}; resolve them, then merge again. Nothing was changed.`);
  const head = await gitLine(at, ['rev-parse', '--verify', 'HEAD'], checkout.git);
  if (head !== baseTip) return refuse('error', `the base branch moved while merging (${at} is at ${head.slice(0, 12)}); merge again. Nothing was changed.`);
  const touched = await touchedFiles(repo.root, baseTip, result);
  const blocking = overlapping(await dirtyFiles(at, checkout.git, repo.gitCommonDir, checkout.agentWritable), touched);
  if (blocking.length > 0) {
    return refuse('dirty-checkout', `${at} has uncommitted changes to files this merge changes: ${listed(blocking)}. Commit or stash them, then merge again. Nothing was changed.`);
  }
  // git lets a fast-forward overwrite files it ignores (a local config, say), and replace one with a folder
  // the merge adds there; the user may not. (A folder's path the merge itself frees is no ignored file.)
  const added = await git(repo.root, ['diff', '--name-only', '-z', '--no-renames', '--diff-filter=A', baseTip, result]);
  const freed = new Set(touched);
  const inTheWay = (f: string) => (present(path.join(at, f)) ? f : ancestorsOf(f).find(a => !freed.has(a) && presentNotFolder(path.join(at, a))));
  const ignored = [...new Set(splitNul(added).map(inTheWay).filter(f => f !== undefined))];
  if (ignored.length > 0) {
    return refuse('dirty-checkout', `${at} has files that git ignores where this merge adds files: ${listed(ignored)}. Move them aside, then merge again. Nothing was changed.`);
  }
  return null;
}

/** Points the rebased session branch at `rebased`, carrying its worktree along; returns why not, or null. */
async function moveSessionBranch(repo: Repo, branch: string, oldTip: string, rebased: string, session: WorktreeContext | null): Promise<string | null> {
  if (!session) {
    const swapped = await gitOutput(repo.root, ['update-ref', '-m', 'switchyard: rebase', `refs/heads/${branch}`, rebased, oldTip]);
    return swapped.exitCode === 0 ? null : `${branch} moved while rebasing.`;
  }
  const head = await gitLine(session.worktree, ['rev-parse', '--verify', 'HEAD'], inWorktree(session));
  if (head !== oldTip) return `${branch} moved while rebasing.`;
  // --keep refuses rather than lose anything written in the worktree meanwhile.
  const reset = await gitOutput(session.worktree, ['reset', '--keep', '--quiet', rebased], inWorktree(session));
  return reset.exitCode === 0 ? null : `could not move ${session.worktree} to the rebased ${branch}: ${reset.stderr.trim()}.`;
}

/** Moves the base branch from `from` to `to`, never forcing; returns why not, or null. */
async function advanceBase(repo: Repo, baseBranch: string, from: string, to: string, checkout: Checkout | null, identity: string[]): Promise<string | null> {
  if (checkout) {
    const ff = await gitOutput(checkout.path, ['merge', '--ff-only', '--quiet', to], { ...checkout.git, config: identity });
    return ff.exitCode === 0 ? null : `could not fast-forward ${baseBranch} in ${checkout.path}: ${(ff.stderr || ff.stdout).trim().replace(/\.$/, '')}.`;
  }
  const swapped = await gitOutput(repo.root, ['update-ref', '-m', 'switchyard: merge back', `refs/heads/${baseBranch}`, to, from]);
  return swapped.exitCode === 0 ? null : `the base branch ${baseBranch} moved while merging.`;
}

/** Whether anything (a dangling symlink included) is at `p`. */
function present(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether something other than a folder (a file, a symlink) is at `p`. */
function presentNotFolder(p: string): boolean {
  try {
    return !lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `a/b/c.txt` → `a`, `a/b`. */
function ancestorsOf(file: string): string[] {
  const parts = file.split('/');
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Dirty paths the merge touches, including a dirty file where the merge puts a folder and the reverse. */
function overlapping(dirty: string[], touched: string[]): string[] {
  const exact = new Set(touched);
  return dirty.filter(raw => {
    const d = raw.replace(/\/$/, '');
    return exact.has(d) || touched.some(t => t.startsWith(`${d}/`) || d.startsWith(`${t}/`));
  });
}

function refuse(reason: 'dirty-checkout' | 'not-on-base' | 'nothing-to-merge' | 'error', message: string): MergeResult {
  return { ok: false, reason, message };
}

function listed(files: string[]): string {
  const shown = files.slice(0, 10).join(', ');
  return files.length > 10 ? `${shown} and ${files.length - 10} more` : shown;
}
