// What must hold before a session branch lands on its base, read from the worktrees' admin folders (git
// never runs in an agent-writable worktree for it): nothing half-done where the session's work is, and no
// rebase of either branch under way anywhere, since a rebase that ends (or is aborted) puts its branch
// where it says, over whatever the merge did meanwhile.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { operationInGitDir } from './inspect';
import type { WorktreeContext } from './registry';
import type { Repo } from './repo';

/** Why the session worktree cannot be merged from as it stands, or null. */
export function sessionWorktreeRefusal(session: WorktreeContext, branch: string): string | null {
  const op = operationInGitDir(session.gitDir);
  if (op) return `${session.worktree} is in the middle of ${op}; finish it (resolve its conflicts and commit) or abort it, then merge again.`;
  const head = readOr(path.join(session.gitDir, 'HEAD'));
  if (head !== `ref: refs/heads/${branch}`) {
    const where = head.startsWith('ref: refs/heads/') ? `on ${head.slice('ref: refs/heads/'.length)}` : `detached at ${head.slice(0, 12)}`;
    return `${session.worktree} is not on ${branch} (it is ${where}); check ${branch} out there again, with any commits made meanwhile, then merge again.`;
  }
  return null;
}

/** A checkout (the user's own included) in the middle of rebasing one of `branches`, or null. */
export function rebaseUnderWay(repo: Repo, branches: readonly string[]): { checkout: string; branch: string } | null {
  const wanted = new Map(branches.map(b => [`refs/heads/${b}`, b]));
  for (const { gitDir, checkout } of adminFolders(repo)) {
    for (const state of ['rebase-merge', 'rebase-apply']) {
      const branch = wanted.get(readOr(path.join(gitDir, state, 'head-name')));
      if (branch) return { checkout, branch };
    }
  }
  return null;
}

/** The main checkout's git dir, then every linked worktree's admin folder, with the checkout it serves. */
function* adminFolders(repo: Repo): Generator<{ gitDir: string; checkout: string }> {
  yield { gitDir: repo.gitCommonDir, checkout: repo.identityRoot };
  const adminRoot = path.join(repo.gitCommonDir, 'worktrees');
  let ids: string[];
  try {
    ids = readdirSync(adminRoot);
  } catch {
    return;
  }
  for (const id of ids) {
    const gitDir = path.join(adminRoot, id);
    // The back-link names `<worktree>/.git`; only used to say where, so an unreadable one names the folder.
    const backLink = readOr(path.join(gitDir, 'gitdir'));
    yield { gitDir, checkout: backLink ? path.dirname(path.resolve(gitDir, backLink)) : gitDir };
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
