// The checkouts of a repository a user works in, where a project entry of `sandbox.denyRead` (`.env`) is
// denied as in the session's own worktree: an ignored `.env` lives only where the user made it, and a
// command can name any of them. The sessions' worktrees (under the Switchyard home, or the worktrees folder
// a setting names) are not among them: the home is denied whole, and they hold what agents wrote.
import { listWorktrees } from '../worktrees/registry';
import { canonicalPath, isInside } from '../worktrees/paths';

/** The main checkout and the user's own linked worktrees; the main checkout alone if git cannot say. */
export async function userCheckouts(repoRoot: string, sessionsUnder: readonly string[]): Promise<string[]> {
  const under = sessionsUnder.map(canonicalPath);
  try {
    const found = (await listWorktrees(repoRoot)).filter(w => w.main || (!w.missing && !under.some(d => isInside(w.path, d)))).map(w => w.path);
    return found.length ? found : [repoRoot];
  } catch {
    return [repoRoot];
  }
}
