// Which process drives a session, and whether that process is still there: a session left running or
// queued by a process that crashed or was killed is taken over (paused, or queued here) by the next host.
import { STOPPED_WHILE_RUNNING } from '../../protocol/sessions';
import { ACTIVE_STATUSES } from '../../protocol/types';
import { currentProcess } from '../util/fileLock';
import { stillThere, type LastBeats } from '../util/heartbeats';
import type { SessionRecord } from './sessionRecord';

export type Owner = NonNullable<SessionRecord['owner']>;

export const ORPHANED_REASON = `${STOPPED_WHILE_RUNNING} (its process ended). Resume it to continue where it stopped.`;
const ORPHANED_QUEUED = 'Its process ended before it started.';

/** Said of a session left queued by a process that is gone. */
export function orphanedQueuedReason(id: string): string {
  return `${ORPHANED_QUEUED} \`switchyard resume ${id}\` runs it, and VS Code takes it over when it opens the repository.`;
}

/** A reason `orphanedQueuedReason` gave. */
export function isOrphanedQueuedReason(reason: string | undefined): boolean {
  return reason?.startsWith(ORPHANED_QUEUED) ?? false;
}

/** Running here: held by this host and running or waiting (a queued one is said running before its run is made). */
export function heldRunningHere(r: SessionRecord, hostId: string): boolean {
  return (r.status === 'running' || r.status === 'waiting') && r.owner?.hostId === hostId;
}

/** This process, as the owner of the sessions it runs. */
export function ownerHere(hostId: string): Owner {
  return { ...currentProcess(), hostId, beats: true };
}

/**
 * The record as the next host will make it, for a reader (the CLI's `sessions`) that changes nothing: left
 * running by a process that is gone, it is paused; left queued, it says what will run it.
 */
export function asTakenOver(r: SessionRecord, hostId: string, beats: LastBeats): SessionRecord {
  if (!isOrphaned(r, hostId, beats)) return r;
  return r.status === 'queued' ? { ...r, statusReason: orphanedQueuedReason(r.id) } : { ...r, status: 'paused', statusReason: ORPHANED_REASON };
}

/** Running or queued, and not by a live process of another host: its host crashed or was killed. */
export function isOrphaned(r: SessionRecord, hostId: string, beats: LastBeats): boolean {
  if (!(ACTIVE_STATUSES as readonly string[]).includes(r.status)) return false;
  return !ownedByOther(r, hostId, beats);
}

/**
 * Another live process holds the session: it runs it, has it queued, or its agent is still ending (a
 * paused or stopped run lets go of its session only once its agent has ended and its record is saved).
 */
export function ownedByOther(r: SessionRecord, hostId: string, beats: LastBeats): boolean {
  // A record of another version, or edited by hand, may carry null.
  return r.owner != null && r.owner.hostId !== hostId && stillThere(r.owner, beats);
}
