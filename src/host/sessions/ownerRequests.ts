// Pause and Stop for a session another live process runs (a CLI run, another window on the same repository).
// Only the owner can end its agent, and it rewrites the session's record on every turn, so a status written
// by anyone else would be lost or ignored. The asker leaves a request file in the session's folder instead;
// the owner takes it at its next poll (every second) and pauses or stops the session itself.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { SessionPaths } from './sessionStore';

export type OwnerAction = 'pause' | 'stop';

export interface OwnerRequest {
  action: OwnerAction;
  /** The host that asked (its hostId), for the owner's log. */
  by: string;
  at: string;
}

/** Leaves the request for the owner; a newer one replaces one not yet taken (Stop after Pause wins). */
export async function askOwner(paths: SessionPaths, request: OwnerRequest): Promise<void> {
  const tmp = `${paths.ownerRequest}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(request));
  await fs.rename(tmp, paths.ownerRequest);
}

/** The request waiting for this session's owner, taken (removed) so it is acted on once; undefined when none. */
export async function takeOwnerRequest(paths: SessionPaths): Promise<OwnerRequest | undefined> {
  let text: string;
  try {
    text = await fs.readFile(paths.ownerRequest, 'utf8');
    await fs.unlink(paths.ownerRequest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return parseOwnerRequest(text);
}

function parseOwnerRequest(text: string): OwnerRequest | undefined {
  try {
    const v = JSON.parse(text) as Partial<OwnerRequest>;
    if ((v.action === 'pause' || v.action === 'stop') && typeof v.by === 'string' && typeof v.at === 'string') return { action: v.action, by: v.by, at: v.at };
  } catch {
    // A torn or foreign file asks nothing.
  }
  return undefined;
}
