// Changes to a session another live process holds (a CLI run, another window on the same repository):
// pause, stop, a new tier, a new budget. Only the owner can end its agent or change what its next request
// is sent with, and it rewrites the session's record until its run has ended, so a change written by
// anyone else would be lost. The asker leaves a request file in the owner's inbox instead (one folder per
// process under the home's `requests`); the owner reads its inbox once a second, one listing however many
// sessions it holds, and carries the requests out in the order they were made.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TIERS, type Tier } from '../../protocol/types';
import { namesIn } from '../util/makeDir';
import { writeWhole } from '../util/writeWhole';

export type OwnerChange =
  | { action: 'pause' }
  /** `why`: the reason the session shows, when not the user's plain Stop (a discard). */
  | { action: 'stop'; why?: string }
  | { action: 'tier'; tier: Tier }
  | { action: 'budget'; budgetUsd: number };

export type OwnerRequest = OwnerChange & {
  sessionId: string;
  /** The owner it is for (its hostId): its inbox, and never a later owner's. */
  to: string;
  /** The host that asked (its hostId), for the owner's log. */
  by: string;
  at: string;
};

/** A host id names a folder: only the characters the engine gives it (pid, dash, hex). */
const HOST_ID = /^[A-Za-z0-9_-]{1,64}$/;

function inbox(requestsDir: string, hostId: string): string {
  if (!HOST_ID.test(hostId)) throw new Error(`"${hostId}" is not a host id`);
  return path.join(requestsDir, hostId);
}

let sequence = 0;

/** Leaves the request in the owner's inbox, after any it has not taken yet; resolves with its file. */
export async function askOwner(requestsDir: string, request: OwnerRequest): Promise<string> {
  const dir = inbox(requestsDir, request.to);
  // Named by time, then by this process's count (two in one millisecond keep their order), then at random
  // (another process's in the same millisecond): the owner takes them in the order they were made.
  sequence = (sequence + 1) % 1e9;
  const name = `${Date.now().toString().padStart(15, '0')}-${sequence.toString().padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
  // The folder is made when missing: the first request, or one tidied away as a lapsed host's just now (removeInboxesOfGone).
  const file = path.join(dir, `${name}.json`);
  await writeWhole(file, JSON.stringify(request), path.join(dir, `${name}.tmp`));
  return file;
}

/** Withdraws a request; false when the owner had already taken it (it carries it out). */
export async function withdrawRequest(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Older than this, a request is past its asker's wait (10 s): the asker withdrew it, or is gone. It is
 * removed unread, so a request never outlives its asker's wait and is carried out later.
 */
export const REQUEST_EXPIRES_MS = 15_000;

/**
 * Takes (removes) the requests in the inbox of `me` for the sessions it holds, oldest first, so each is
 * carried out once. A request for a session it does not hold stays for its asker to withdraw: the asker
 * sees the session let go of, or held by another process, and makes the change itself or asks that one.
 */
export async function takeOwnerRequests(requestsDir: string, me: string, holds: (sessionId: string) => boolean, now = Date.now()): Promise<OwnerRequest[]> {
  const dir = inbox(requestsDir, me);
  const names = await namesIn(dir);
  const taken: OwnerRequest[] = [];
  for (const name of names.filter(n => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const request = parseOwnerRequest(text);
    const expired = !request || request.to !== me || !(now - Date.parse(request.at) < REQUEST_EXPIRES_MS);
    if (!expired && !holds(request.sessionId)) continue;
    // Removed before it is carried out: the asker, seeing it gone, knows it was taken.
    if (!(await withdrawRequest(file).catch(() => false)) || expired) continue;
    taken.push(request);
  }
  return taken;
}

/**
 * Inboxes of hosts that are gone without a clean exit (killed, crashed), which left them behind; one with
 * requests still in it stays for their askers to withdraw. An empty inbox is safe to lose: an asker makes
 * it again (askOwner).
 */
export async function removeInboxesOfGone(requestsDir: string, gone: (hostId: string) => boolean): Promise<void> {
  const names = await fs.readdir(requestsDir).catch(() => [] as string[]);
  for (const hostId of names) {
    if (HOST_ID.test(hostId) && gone(hostId)) await fs.rmdir(path.join(requestsDir, hostId)).catch(() => undefined);
  }
}

/**
 * The process is going away: its inbox goes if nothing waits in it. A request still there is its asker's
 * to withdraw (the asker sees the session let go of); removing it would read as taken.
 */
export async function removeInbox(requestsDir: string, me: string): Promise<void> {
  await fs.rmdir(inbox(requestsDir, me)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  });
}

function parseOwnerRequest(text: string): OwnerRequest | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v.sessionId !== 'string' || typeof v.to !== 'string' || typeof v.by !== 'string' || typeof v.at !== 'string') return undefined;
  const who = { sessionId: v.sessionId, to: v.to, by: v.by, at: v.at };
  if (v.action === 'pause') return { action: v.action, ...who };
  if (v.action === 'stop') return { action: v.action, ...(typeof v.why === 'string' ? { why: v.why.slice(0, 200) } : {}), ...who };
  if (v.action === 'tier' && (TIERS as readonly unknown[]).includes(v.tier)) return { action: 'tier', tier: v.tier as Tier, ...who };
  if (v.action === 'budget' && typeof v.budgetUsd === 'number' && Number.isFinite(v.budgetUsd) && v.budgetUsd >= 0) return { action: 'budget', budgetUsd: v.budgetUsd, ...who };
  return undefined;
}
