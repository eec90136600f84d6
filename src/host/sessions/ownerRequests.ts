// Changes to a session another live process runs (a CLI run, another window on the same repository):
// pause, stop, a new tier, a new budget. Only the owner can end its agent or change what its next request
// is sent with, and it rewrites the session's record on every turn, so a change written by anyone else
// would be lost. The asker leaves a request file in the session's folder instead; the owner takes the
// requests at its next poll (every second), in the order they were made, and carries them out itself.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TIERS, type Tier } from '../../protocol/types';
import { makeDir } from '../util/makeDir';
import type { SessionPaths } from './sessionStore';

export type OwnerChange =
  | { action: 'pause' }
  | { action: 'stop' }
  | { action: 'tier'; tier: Tier }
  | { action: 'budget'; budgetUsd: number };

export type OwnerRequest = OwnerChange & {
  /** The owner it is for (its hostId): one left behind is never carried out by a later owner. */
  to: string;
  /** The host that asked (its hostId), for the owner's log. */
  by: string;
  at: string;
};

/** Leaves the request for the owner, after any it has not taken yet; resolves with its file. */
export async function askOwner(paths: SessionPaths, request: OwnerRequest): Promise<string> {
  await makeDir(paths.ownerRequests);
  // Named by time, then at random: the owner takes them in the order they were made.
  const name = `${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(paths.ownerRequests, `${name}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(request));
  const file = path.join(paths.ownerRequests, `${name}.json`);
  await fs.rename(tmp, file);
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
 * The requests waiting for this session's owner `me`, oldest first, each taken (removed) so it is carried
 * out once. Requests for another owner (an earlier run's, left behind) are removed unread.
 */
export async function takeOwnerRequests(paths: SessionPaths, me: string): Promise<OwnerRequest[]> {
  let names: string[];
  try {
    names = await fs.readdir(paths.ownerRequests);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const taken: OwnerRequest[] = [];
  for (const name of names.filter(n => n.endsWith('.json')).sort()) {
    const file = path.join(paths.ownerRequests, name);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    // Removed before it is carried out: the asker, seeing it gone, knows it was taken.
    if (!(await withdrawRequest(file).catch(() => false))) continue;
    const request = text === undefined ? undefined : parseOwnerRequest(text);
    if (request?.to === me) taken.push(request);
  }
  return taken;
}

function parseOwnerRequest(text: string): OwnerRequest | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v.to !== 'string' || typeof v.by !== 'string' || typeof v.at !== 'string') return undefined;
  const who = { to: v.to, by: v.by, at: v.at };
  if (v.action === 'pause' || v.action === 'stop') return { action: v.action, ...who };
  if (v.action === 'tier' && (TIERS as readonly unknown[]).includes(v.tier)) return { action: 'tier', tier: v.tier as Tier, ...who };
  if (v.action === 'budget' && typeof v.budgetUsd === 'number' && Number.isFinite(v.budgetUsd) && v.budgetUsd >= 0) return { action: 'budget', budgetUsd: v.budgetUsd, ...who };
  return undefined;
}
