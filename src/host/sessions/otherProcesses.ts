// The session manager's look, once a second, at what other processes on the machine did: sessions they
// created or changed (a CLI run, another window), sessions a killed process left running, and changes they
// asked of the sessions this process holds.
import { CLOSED_STATUSES } from '../../protocol/types';
import type { LiveSession } from './liveSession';
import type { OwnerRequest } from './ownerRequests';
import { isOrphaned, ORPHANED_REASON } from './ownership';
import { queueTakenOver } from './resumeSession';
import type { SessionManager } from './sessionManager';
import { isNewer } from './sessionRecord';

export class OtherProcesses {
  private polling: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly mgr: SessionManager) {}

  poll(): Promise<void> {
    // A poll that outlasts its second (a slow disk) is not run twice at once.
    if (this.polling || this.closed) return this.polling ?? Promise.resolve();
    this.polling = this.pollAndLog();
    return this.polling;
  }

  /** No poll starts from now on; the one under way, if any, is waited for. */
  async close(): Promise<void> {
    this.closed = true;
    await this.polling;
  }

  private async pollAndLog(): Promise<void> {
    try {
      await this.pollOnce();
    } catch (err) {
      // A record or folder it cannot make sense of must not end the host: the next poll tries again.
      this.mgr.ctx.log('warn', `Looking for other processes' sessions: ${(err as Error).message}`);
    } finally {
      this.polling = undefined;
    }
  }

  private async pollOnce(): Promise<void> {
    const { mgr } = this;
    const { ctx } = mgr;
    await mgr.foreign.take(id => {
      const s = mgr.find(id);
      return s?.record.owner?.hostId === ctx.hostId ? s : undefined;
    }, (s, r) => this.carryOut(s, r));
    const closed = (id: string) => CLOSED_STATUSES.includes(mgr.find(id)?.record.status ?? 'queued');
    for (const repo of [...mgr.loadedRepoKeys()]) {
      const changed = await ctx.store.changedSince(repo, msg => ctx.log('warn', msg), closed);
      for (const r of changed) {
        // Our own writes come back through the poll too; only another process's news is adopted.
        const here = mgr.find(r.id);
        if (r.savedBy === ctx.hostId || here?.run) continue;
        // Read before a change made here since (a resume that took it while the poll read the disk):
        // what is held here, or newer here, stands.
        if (here && (here.record.owner?.hostId === ctx.hostId || !isNewer(r, here.record))) continue;
        mgr.adopt(r);
      }
    }
    await this.recoverOrphans();
  }

  /**
   * A process killed outright (a CLI run's, say) writes nothing more: its sessions would show as running
   * for good. Those it left running come back paused; those it left queued are queued here. Each is taken
   * under the session's lock, on its record as on disk then: the one held here may predate the owner's
   * last write (its final status), and another host may have taken the session over meanwhile.
   */
  async recoverOrphans(): Promise<void> {
    const { mgr } = this;
    const { ctx } = mgr;
    if (ctx.passive) return;
    for (const s of mgr.all()) {
      if (!this.orphaned(s)) continue;
      let queued = false;
      await mgr.foreign.whileFree(s, () => {
        if (!this.orphaned(s)) return;
        const r = s.record;
        if (r.status === 'queued') {
          mgr.claim(s);
          queued = true;
        } else {
          r.status = 'paused';
          r.statusReason = ORPHANED_REASON;
          r.statusAt = new Date().toISOString();
          r.owner = undefined;
        }
        mgr.save(s);
        mgr.changed(s);
      }).catch(err => ctx.log('warn', `Taking over session ${s.id}, which a process that ended left ${s.record.status}: ${(err as Error).message}`));
      // Run before by the process that is gone, perhaps: its guard is rebuilt from the trace first.
      if (queued && ctx.startsTakenOver) {
        await queueTakenOver(mgr, s.id).catch(err => {
          ctx.log('warn', `Judging session ${s.id} from its trace: ${(err as Error).message}; its loop guard starts afresh.`);
          mgr.scheduler.enqueue(s.id);
        });
      }
    }
  }

  /** Left running or queued by a process that is gone (this one's own are never orphaned), and this one's to take. */
  private orphaned(s: LiveSession): boolean {
    const { ctx } = this.mgr;
    return !s.run && s.record.owner?.hostId !== ctx.hostId && ctx.takesOver(s.id) && isOrphaned(s.record, ctx.hostId, ctx.beats);
  }

  /** A change another process asked of a session this one holds. */
  private carryOut(s: LiveSession, r: OwnerRequest): Promise<unknown> {
    switch (r.action) {
      case 'stop': return this.mgr.stop(s.id, r.why);
      case 'pause': return this.mgr.pause(s.id);
      case 'tier': return this.mgr.setTier(s.id, r.tier);
      case 'budget': return this.mgr.raiseBudget(s.id, r.budgetUsd);
    }
  }
}
