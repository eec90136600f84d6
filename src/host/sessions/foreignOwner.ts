// Sessions another live process holds (a CLI run, a second window on the repository). That process alone
// can end its agent or change what its next request is sent with, and it rewrites the session's record
// until its run has ended, so a change made here would be overwritten. Changes are asked of it instead
// (ownerRequests.ts), and anything that needs the session let go of (resume, merge, discard) waits for that.
// A session nobody holds is taken, or changed, under a lock of its own across processes (whileFree).
import { access } from 'node:fs/promises';
import path from 'node:path';
import { ACTIVE_STATUSES } from '../../protocol/types';
import { UserError } from '../errors';
import type { LiveSession } from './liveSession';
import { askOwner, removeInbox, takeOwnerRequests, withdrawRequest, type OwnerChange, type OwnerRequest } from './ownerRequests';
import type { LastBeats } from '../util/heartbeats';
import { ownedByOther } from './ownership';
import { isNewer, type SessionRecord } from './sessionRecord';
import type { SessionStore } from './sessionStore';
import { isProcessAlive, LockTimeoutError, pidMeansHere, pidTakenSince, withFileLock } from '../util/fileLock';
import { groupEnded } from '../util/lifeline';

/** How long a change waits for the owner (it looks every second; a stopping agent gets a few seconds to end). */
const ANSWER_MS = 10_000;
const LOOK_EVERY_MS = 100;
/** How long a record on disk that says another process runs the session is looked at again before that is said. */
const SETTLING_MS = 2_000;
/** An agent whose host was killed ends within its grace period (3 s, util/lifeline.ts); waited for a little longer. */
const LEFT_AGENT_ENDS_MS = 5_000;
const LEFT_AGENT_LOOK_MS = 50;

export interface ForeignOwnerDeps {
  hostId: string;
  store: SessionStore;
  /** The home's `requests` folder: every process's inbox. */
  requestsDir: string;
  /** The home's `locks` folder: a session's lock is `sessions/<id>.lock` there. */
  locksDir: string;
  /** When other hosts last beat: whether an owner is still there. */
  beats: LastBeats;
  /** Takes a record read from disk as the session's state here. */
  adopt(r: SessionRecord): void;
  log(level: 'info' | 'warn', message: string): void;
}

/** What became of a change asked of the owner. */
export type Asked =
  /** The owner let go of the session (its run ended, or it died): it is this process's to change now. */
  | 'released'
  /** The owner took the request and carries it out (a new tier or budget shows at once; a stop or pause once its agent has ended). */
  | 'taken';

export class ForeignOwner {
  /** Per session, the requests this process is carrying out for others, in order. */
  private readonly carrying = new Map<string, Promise<void>>();

  constructor(private readonly d: ForeignOwnerDeps) {}

  /**
   * False when the session is surely held here (or runs here): then nothing needs reading, and a change
   * takes effect at once, in the same tick (a pause's status, for one).
   */
  mayHold(s: LiveSession): boolean {
    return !s.run && s.record.owner?.hostId !== this.d.hostId;
  }

  /** Whether another live process holds the session, judged from its record as on disk now (taken here if another wrote it). */
  async holds(s: LiveSession): Promise<boolean> {
    // Held here, nobody else can hold it; and the record here is newer than the one on disk.
    if (!this.mayHold(s)) return false;
    await this.refresh(s);
    return !s.run && ownedByOther(s.record, this.d.hostId, this.d.beats);
  }

  /** Another process's newer state of the session, if there is one (never this process's own, which may lag). */
  private async refresh(s: LiveSession): Promise<void> {
    const now = await this.d.store.read(s.record.repo, s.id).catch(() => undefined);
    // Newer than the state here: a save of this process's own may still be on its way to disk.
    if (now && now.savedBy !== this.d.hostId && isNewer(now, s.record) && !s.run) this.d.adopt(now);
  }

  /**
   * Asks the owner to make a change and waits for the outcome. A request the owner never took is withdrawn,
   * so that nobody carries it out later: on 'released' the caller makes the change itself, and when the
   * owner does not answer in time nothing was changed, which the error says.
   */
  async ask(s: LiveSession, change: OwnerChange): Promise<Asked> {
    let owner = s.record.owner!;
    const request = () => askOwner(this.d.requestsDir, { ...change, sessionId: s.id, to: owner.hostId, by: this.d.hostId, at: new Date().toISOString() });
    let file = await request();
    const deadline = Date.now() + ANSWER_MS;
    let taken = false;
    while (Date.now() < deadline) {
      await new Promise(r => setTimeout(r, LOOK_EVERY_MS));
      await this.refresh(s);
      if (!ownedByOther(s.record, this.d.hostId, this.d.beats)) {
        if (!taken) await this.withdraw(file);
        return 'released';
      }
      if (!taken && s.record.owner!.hostId !== owner.hostId) {
        // Let go of and taken by a third process meanwhile: the request goes to that one.
        if (await this.withdraw(file)) {
          owner = s.record.owner!;
          file = await request();
          continue;
        }
      }
      taken ||= !(await exists(file));
      // A new tier or budget is in the owner's record once it has taken the request and saved.
      if (taken && (change.action === 'tier' || change.action === 'budget') && shows(s.record, change)) return 'taken';
    }
    if (taken || !(await this.withdraw(file))) return 'taken';
    const how = change.action === 'stop' || change.action === 'pause' ? ' A CLI run stops with Ctrl-C in its terminal.' : '';
    throw new UserError(`"${s.record.title}" is run by another Switchyard process (pid ${owner.pid}), which did not answer within ${ANSWER_MS / 1000} s: nothing was changed.${how}`);
  }

  /**
   * Makes `change` to a session no other live process holds, as one step across processes: under the
   * session's lock, on its newest record from disk, and with the lock let go of only once what the change
   * saved is on disk. No other process can take the session in between: of two windows resuming it in the
   * same second, one runs it. False, and nothing changed, when another process holds it by then.
   */
  async whileFree(s: LiveSession, change: () => Promise<void> | void): Promise<boolean> {
    try {
      return await withFileLock(path.join(this.d.locksDir, 'sessions', `${s.id}.lock`), async () => {
        if (await this.holds(s)) return false;
        await this.leftAgentEnded(s);
        try {
          await change();
        } finally {
          // What the change saved before it failed is on disk, too, before another process looks.
          await this.d.store.saved(s.id);
        }
        return true;
      });
    } catch (err) {
      if (!(err instanceof LockTimeoutError)) throw err;
      const by = err.holder ? ` (pid ${err.holder.pid})` : '';
      throw new UserError(`"${s.record.title}" is being changed by another Switchyard process${by}: try again in a moment.`);
    }
  }

  /**
   * A user's change to a session: made here when this process holds it, asked of the process that does
   * when another one holds it, and made here under the session's lock when nobody does (so that no
   * process resumes it meanwhile and writes over the change).
   */
  async change(s: LiveSession, asked: OwnerChange, here: () => Promise<void> | void): Promise<void> {
    for (let tries = 0; tries < 3; tries++) {
      if (!this.mayHold(s)) return here();
      if ((await this.holds(s)) && (await this.ask(s, asked)) === 'taken') return;
      // Let go of by its owner, or held by nobody: unless another process took it in between.
      if (await this.whileFree(s, here)) return;
    }
    throw new UserError(`${takenElsewhere(s)} Nothing was changed; try again.`);
  }

  /**
   * An external agent whose host was killed is still ending (its process group gets SIGTERM, then SIGKILL
   * after a grace period): a resume would start a second agent beside it, a discard would remove the
   * worktree under it. It is waited for; the change that follows saves the record without it.
   */
  private async leftAgentEnded(s: LiveSession): Promise<void> {
    const agent = s.record.agentProcess;
    if (!agent || s.run) return;
    // Not this machine's, or not in this PID namespace: its pid says nothing here, and it ends all the same.
    if (pidMeansHere(agent)) {
      // The agent, then its whole group (led by it): what it started may outlive it by up to the grace period.
      const deadline = Date.now() + LEFT_AGENT_ENDS_MS;
      while (isProcessAlive(agent) && Date.now() < deadline) await new Promise(r => setTimeout(r, LEFT_AGENT_LOOK_MS));
      // (A pid taken by another process since: the group of that number, if any, is that one's.)
      const ended = !isProcessAlive(agent) && (pidTakenSince(agent) || (await groupEnded(agent.pid, Math.max(0, deadline - Date.now()))));
      if (!ended) this.d.log('warn', `Session ${s.id}: the agent its ended process left (process group ${agent.pid}) is still running after ${LEFT_AGENT_ENDS_MS / 1000} s.`);
    }
    s.record.agentProcess = undefined;
  }

  /** True when the request was still there (so never carried out); false when its owner had taken it. */
  private withdraw(file: string): Promise<boolean> {
    return withdrawRequest(file).catch(() => false);
  }

  /** Waits until no other live process holds the session (its agent may still be ending); a UserError if it still does. */
  async released(s: LiveSession, what: string): Promise<void> {
    const deadline = Date.now() + ANSWER_MS;
    // A run that has just ended there may not have its last record on disk yet: one still running is said
    // to be after a moment, not on the first look.
    const stillRunningAt = Date.now() + SETTLING_MS;
    while (await this.holds(s)) {
      if (ACTIVE_STATUSES.includes(s.record.status) && Date.now() >= stillRunningAt) {
        throw new UserError(`"${s.record.title}" is ${s.record.status} in another Switchyard process (pid ${s.record.owner?.pid}): pause or stop it there first (in a window, from the Sessions view; a CLI run pauses on Ctrl-C, or on \`kill -INT ${s.record.owner?.pid}\`), then ${what} it.`);
      }
      if (Date.now() >= deadline) throw new UserError(`"${s.record.title}" is still held by another Switchyard process (pid ${s.record.owner?.pid}): its agent has not ended, or it is merging or discarding the session. Try to ${what} it again in a moment.`);
      await new Promise(r => setTimeout(r, LOOK_EVERY_MS));
    }
  }

  /**
   * The owner's side: takes the requests in this process's inbox (one listing, however many sessions it
   * holds) and carries out those for sessions it holds (`held`), each session's in order, without holding
   * up the caller (a stop waits for its agent to end). A request for a session it no longer holds stays
   * for its asker, who finds the session let go of and makes the change itself.
   */
  async take(held: (id: string) => LiveSession | undefined, carryOut: (s: LiveSession, r: OwnerRequest) => Promise<unknown>): Promise<void> {
    const requests = await takeOwnerRequests(this.d.requestsDir, this.d.hostId, id => held(id) !== undefined).catch(err => {
      this.d.log('warn', `Reading what other processes asked of this one: ${(err as Error).message}`);
      return [];
    });
    for (const r of requests) {
      const s = held(r.sessionId);
      if (!s) continue;
      const next = (this.carrying.get(s.id) ?? Promise.resolve()).then(async () => {
        this.d.log('info', `Session ${s.id}: another Switchyard process (${r.by}) asked for ${r.action}.`);
        await carryOut(s, r).catch(err => this.d.log('warn', `Session ${s.id}: ${r.action} asked by another process failed: ${(err as Error).message}`));
      });
      this.carrying.set(s.id, next);
      void next.finally(() => {
        if (this.carrying.get(s.id) === next) this.carrying.delete(s.id);
      });
    }
  }

  /** Host shutdown: the requests being carried out finish, and the inbox goes. */
  async close(): Promise<void> {
    await Promise.all([...this.carrying.values()]);
    await removeInbox(this.d.requestsDir, this.d.hostId).catch(err => this.d.log('warn', `Removing this process's inbox: ${(err as Error).message}`));
  }
}

/** Another process took the session between this one's look and its step. */
export function takenElsewhere(s: LiveSession): string {
  const { title, status, owner } = s.record;
  const other = `another Switchyard process (pid ${owner?.pid ?? '?'})`;
  // Running or queued there: it resumed the session. Otherwise it holds the session for a merge or a
  // discard, or until its agent has ended.
  return ACTIVE_STATUSES.includes(status)
    ? `"${title}" was just resumed by ${other}: it is ${status} there now.`
    : `"${title}" is held by ${other}, which is merging or discarding it or waiting for its agent to end (it is ${status}).`;
}

function shows(r: SessionRecord, change: OwnerChange): boolean {
  return change.action === 'tier' ? r.tier === change.tier : change.action === 'budget' ? r.budgetUsd === change.budgetUsd : true;
}

function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
