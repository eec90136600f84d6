// A session whose repository is no longer where its record says (deleted, or moved). Git knows a worktree
// by its repository's path, so nothing git does can reach it; only a discard that says --yes can let it go:
// its worktree folder, the last copy of its files, is removed, and the session is marked discarded. The
// folder is removed only when it is the session's own worktree: in a worktrees folder Switchyard makes for
// that repository, with git's `.git` file naming that repository.
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DiscardResult } from '../../protocol/sessions';
import { UserError } from '../errors';
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
    const refusal = notItsWorktree(mgr, s);
    if (refusal) throw new UserError(`${refusal}, so it was left as it is, and the session too.`);
    rmSync(r.worktree, { recursive: true, force: true });
  }
  mgr.ctx.fingerprints.forget(r.id);
  mgr.setStatus(s, 'discarded', `Its repository at ${r.repo} was gone; its worktree folder was deleted.`);
  return { ok: true, branchKept: false };
}

/** Why `r.worktree` is not a folder this session may delete, if it is not. */
function notItsWorktree(mgr: SessionManager, s: LiveSession): string | undefined {
  const r = s.record;
  const worktree = path.resolve(r.worktree);
  const made = [mgr.ctx.home.worktreesDir(r.repo), mgr.ctx.home.worktreesDir(r.repo, mgr.ctx.settings().worktreesDir)];
  if (!made.includes(path.dirname(worktree))) return `The folder ${r.worktree} is not in a worktrees folder Switchyard makes for that repository`;
  try {
    if (!statSync(worktree).isDirectory()) return `${r.worktree} is not a folder`;
    // gitdir: <repo>/.git/worktrees/<name>
    const gitdir = /^gitdir: (.+)$/m.exec(readFileSync(path.join(worktree, '.git'), 'utf8'))?.[1]?.trim();
    if (!gitdir || !path.resolve(worktree, gitdir).startsWith(path.join(path.resolve(r.repo), '.git') + path.sep)) {
      return `The folder ${r.worktree} is not a worktree of ${r.repo} (its .git file names another repository)`;
    }
  } catch {
    return `The folder ${r.worktree} has no .git file naming ${r.repo}`;
  }
  return undefined;
}
