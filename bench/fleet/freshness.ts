// How stale the sidebar and the meter are: for each ledger record, the time until the first sessionsChanged
// notification whose session totals include it, and the first spendChanged whose day totals include it.
// Records are matched by count (a session's usage.requests only grows), so no notification needs an id.
// The engine hears of a record before this tracker does (its ledger listener was added first) and, when the
// throttle is idle, notifies in that same call: a notification may show a record the tracker has not seen
// yet. Such a record was shown the moment it arrived.
import { percentile } from '../types';
import type { Lags } from './protocol';

/** Which notifications must show a record: the sidebar's and the meter's, or the sidebar's alone. */
export type Watched = 'both' | 'sidebar';

interface SessionTrack {
  /** When each record arrived, in order; the record's own timestamp alongside. */
  arrived: number[];
  stamped: number[];
  shown: number;
  /** The most requests a notification has shown for this session so far. */
  seen: number;
  /** When that notification was sent. */
  seenAt: number;
}

export class FreshnessTracker {
  private readonly sessions = new Map<string, SessionTrack>();
  private readonly meterArrived: number[] = [];
  private meterShown = 0;
  private meterSeen = 0;
  private meterSeenAt = 0;
  readonly treeLags: number[] = [];
  readonly endToTreeLags: number[] = [];
  readonly meterLags: number[] = [];
  private waiters: (() => void)[] = [];

  /** @param meterBaseline records already in the day's totals when tracking starts */
  constructor(private readonly meterBaseline: number) {}

  /** A record is in the ledger (`at`); `stampedAt` is the time written in the record itself. */
  recorded(sessionId: string, at: number, stampedAt: number): void {
    let t = this.sessions.get(sessionId);
    if (!t) {
      t = { arrived: [], stamped: [], shown: 0, seen: 0, seenAt: 0 };
      this.sessions.set(sessionId, t);
    }
    t.arrived.push(at);
    t.stamped.push(stampedAt);
    this.meterArrived.push(at);
    this.showSession(t);
    this.showMeter();
  }

  /** A sessionsChanged notification at `at` carried these sessions' totals. */
  sessionsShown(sessions: readonly { id: string; usage: { requests: number } }[], at: number): void {
    for (const s of sessions) {
      let t = this.sessions.get(s.id);
      if (!t) {
        // Its records may be on their way to this tracker (see the top of the file).
        t = { arrived: [], stamped: [], shown: 0, seen: 0, seenAt: 0 };
        this.sessions.set(s.id, t);
      }
      if (s.usage.requests > t.seen) {
        t.seen = s.usage.requests;
        t.seenAt = at;
      }
      this.showSession(t);
    }
    this.wake();
  }

  private showSession(t: SessionTrack): void {
    const upTo = Math.min(t.seen, t.arrived.length);
    for (; t.shown < upTo; t.shown++) {
      this.treeLags.push(Math.max(0, t.seenAt - t.arrived[t.shown]!));
      this.endToTreeLags.push(t.seenAt - t.stamped[t.shown]!);
    }
  }

  /** A spendChanged notification at `at` whose day totals count `dayRequests` requests. */
  meterShownAt(dayRequests: number, at: number): void {
    if (dayRequests - this.meterBaseline > this.meterSeen) {
      this.meterSeen = dayRequests - this.meterBaseline;
      this.meterSeenAt = at;
    }
    this.showMeter();
    this.wake();
  }

  private showMeter(): void {
    const upTo = Math.min(this.meterSeen, this.meterArrived.length);
    for (; this.meterShown < upTo; this.meterShown++) this.meterLags.push(Math.max(0, this.meterSeenAt - this.meterArrived[this.meterShown]!));
  }

  /** Records not yet shown by the sidebar (and by the meter, unless only the sidebar is watched). */
  unseen(watched: Watched = 'both'): number {
    let n = watched === 'both' ? this.meterArrived.length - this.meterShown : 0;
    for (const t of this.sessions.values()) n += t.arrived.length - t.shown;
    return n;
  }

  /** Resolves once every record so far has been shown; rejects after `timeoutMs`. */
  caughtUp(timeoutMs: number, watched: Watched = 'both'): Promise<void> {
    if (this.unseen(watched) === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== check);
        const where = watched === 'both' ? 'sessionsChanged/spendChanged notification' : 'sessions notification';
        reject(new Error(`${this.unseen(watched)} ledger record(s) never reached a ${where} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (): void => {
        if (this.unseen(watched) > 0) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter(w => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

export function lagsOf(xs: readonly number[]): Lags {
  return {
    count: xs.length,
    p50: percentile(xs, 50),
    p99: percentile(xs, 99),
    max: xs.length ? Math.max(...xs) : NaN,
  };
}

/**
 * An event-loop delay histogram as Lags in ms. Node records the whole time between two of its timer
 * ticks (nanoseconds), so the tick interval itself is taken off: what is left is how late the loop was.
 */
export function loopDelayOf(h: { count: number; max: number; percentile(p: number): number }, resolutionMs: number): Lags {
  const late = (ns: number) => Math.max(0, ns / 1e6 - resolutionMs);
  return { count: h.count, p50: late(h.percentile(50)), p99: late(h.percentile(99)), max: late(h.max) };
}
