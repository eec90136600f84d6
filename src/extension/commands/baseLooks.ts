// New Session's word on what a session starts from. Free of `vscode`, so it is unit-tested in plain Node.
import type { RepoBranches } from '../../protocol/sessions';
import { plural } from '../views/numbers';

/**
 * How the summary says what a session starts from. A detached HEAD is allowed (a commit to try from) but has
 * no branch for Merge Back to land on: said before it starts, not at the merge. Uncommitted work in the
 * checkout is not in the session: said too (its transcript says it again).
 */
export function baseLooks(base: string, b: RepoBranches): { said: string; detail: string; warning?: string } {
  const detached = base === 'HEAD' && b.detachedAt !== undefined;
  const dirty = base === b.current && b.uncommitted ? `${plural(b.uncommitted, 'uncommitted change')} not included` : undefined;
  const said = detached ? `HEAD (detached at ${b.detachedAt})` : base;
  const warning = [detached ? 'detached HEAD: Merge Back needs a branch' : undefined, dirty].filter(Boolean).join('; ') || undefined;
  const detail = [said, detached ? 'no branch to merge back into: pick one to merge the work later' : undefined, dirty ? `your ${dirty}: the session starts from the last commit` : undefined].filter(Boolean).join(' — ');
  return { said, detail, ...(warning ? { warning } : {}) };
}
