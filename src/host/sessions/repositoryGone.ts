// A session whose repository is no longer where its record says (deleted, or moved). Git knows a worktree
// by its repository's path, so nothing git does can reach it; only a discard that says --yes can let it go:
// its worktree folder, the last copy of its files, is removed, and the session is marked discarded. The
// folder is removed only when it is the session's own worktree: in a worktrees folder Switchyard makes for
// that repository (named by its key), with git's `.git` file naming a worktree.
import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DiscardResult } from '../../protocol/sessions';
import { UserError } from '../errors';
import { repoKey } from '../home';
import { canonicalPath } from '../worktrees/paths';
import type { LiveSession } from './liveSession';
import type { SessionManager } from './sessionManager';

export function repositoryGone(s: LiveSession): boolean {
  return !existsSync(s.record.repo);
}

/** Why nothing was done, and how it can be. */
export function repositoryGoneMessage(s: LiveSession): string {
  const r = s.record;
  return `Session "${r.title}" belongs to the repository at ${r.repo}, which is not there now (moved, renamed or deleted). Its commits on ${r.branch} are in that repository; its files are in the worktree ${r.worktree}. If the repository was moved, move it back to resume, merge or discard the session: git knows a worktree by its repository's path. If it is gone for good, a discard that accepts losing its work (\`switchyard discard ${r.id} --yes\`) deletes its worktree folder, the last copy of its files.`;
}

/** Discards a session of a repository that is gone: with `force`, its worktree folder goes and it is marked discarded. */
export function discardWithoutRepository(mgr: SessionManager, s: LiveSession, force: boolean): DiscardResult {
  if (!force) throw new UserError(repositoryGoneMessage(s));
  const r = s.record;
  if (existsSync(r.worktree)) {
    const refusal = notItsWorktree(s);
    if (refusal) throw new UserError(`${refusal}, so it was left as it is, and the session too.`);
    rmSync(r.worktree, { recursive: true, force: true });
  }
  mgr.ctx.fingerprints.forget(r.id);
  // Its branch is in that repository, wherever it is now: nothing here can delete it.
  mgr.setStatus(s, 'discarded', `Its repository at ${r.repo} was gone; its worktree folder was deleted (its branch ${r.branch} is left in that repository, if it is somewhere else now).`);
  return { ok: true, branchKept: false };
}

/**
 * Why `r.worktree` is not a folder this session may delete, if it is not. A worktrees folder Switchyard
 * makes for a repository is named by the repository's key: `<home>/repos/<key>/worktrees`, or
 * `<switchyard.worktreesFolder>/<key>` (a setting a CLI run does not see, so the name is what is checked).
 */
function notItsWorktree(s: LiveSession): string | undefined {
  const r = s.record;
  const worktree = canonicalPath(r.worktree);
  const parent = path.dirname(worktree);
  const key = repoKey(r.repo);
  const made = path.basename(parent) === key || (path.basename(parent) === 'worktrees' && path.basename(path.dirname(parent)) === key);
  if (!made) return `The folder ${r.worktree} is not in a worktrees folder Switchyard makes for that repository`;
  try {
    // What is deleted is the path recorded: a link there would be unlinked, its folder left.
    if (lstatSync(r.worktree).isSymbolicLink() || !lstatSync(worktree).isDirectory()) return `${r.worktree} is not a folder`;
    // gitdir: <the repository's git folder>/worktrees/<name>; the git folder is not always inside the checkout
    // (a submodule's, or --separate-git-dir), so only the shape is checked there.
    const gitdir = /^gitdir: (.+)$/m.exec(readFileSync(path.join(worktree, '.git'), 'utf8'))?.[1]?.trim();
    if (!gitdir || path.basename(path.dirname(path.resolve(worktree, gitdir))) !== 'worktrees') return `The folder ${r.worktree} is not a git worktree (its .git file names none)`;
  } catch {
    return `The folder ${r.worktree} has no .git file naming a repository`;
  }
  return undefined;
}
