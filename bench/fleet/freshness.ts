// How stale the sidebar and the meter are: for each usage record, the time from the response's end (the
// record's own timestamp, written when the host metered it) to the first sessionsChanged notification whose
// session totals include it, and to the first spendChanged whose day totals include it. Records are matched
// by count (a session's usage.requests only grows), so no notification needs an id. The host counts a record
// as soon as it is metered, before its durable append, so a notification usually shows a record before the
// tracker reads it from the ledger: when each count was first shown is kept for the records still to come.
import { percentile } from '../types';
import type { Lags } from './protocol';

/** Which notifications must show a record: the sidebar's and the meter's, or the sidebar's alone. */
export type Watched = 'both' | 'sidebar';

/** A sequence of records matched by count to notifications of a growing total. */
class CountMatch {
  /** The response end of each record, in order. */
  private readonly ended: number[] = [];
  /** shownAt[k]: when a notification first showed at least k + 1 records. */
  private readonly shownAt: number[] = [];
  private matched = 0;

  constructor(private readonly lags: number[]) {}

  recorded(endedAt: number): void {
    this.ended.push(endedAt);
    this.match();
  }

  shown(count: number, at: number): void {
    while (this.shownAt.length < count) this.shownAt.push(at);
    this.match();
  }

  get unseen(): number {
    return this.ended.length - this.matched;
  }

  private match(): void {
    const upTo = Math.min(this.shownAt.length, this.ended.length);
    // Stamps are whole milliseconds: a record shown in the millisecond it ended may look 1 ms early.
    for (; this.matched < upTo; this.matched++) this.lags.push(Math.max(0, this.shownAt[this.matched]! - this.ended[this.matched]!));
  }
}

export class FreshnessTracker {
  private readonly sessions = new Map<string, CountMatch>();
  private readonly meter: CountMatch;
  /** Response end → sessionsChanged showing it. */
  readonly treeLags: number[] = [];
  /** Response end → spendChanged showing it. */
  readonly meterLags: number[] = [];
  /** Response end → the record read back from the ledger (durable): what the display no longer waits for. */
  readonly durableLags: number[] = [];
  private waiters: (() => void)[] = [];

  /** @param meterBaseline records already in the day's totals when tracking starts */
  constructor(private readonly meterBaseline: number) {
    this.meter = new CountMatch(this.meterLags);
  }

  /** A record was read from the ledger at `at`; `endedAt` is the time written in the record itself. */
  recorded(sessionId: string, at: number, endedAt: number): void {
    this.session(sessionId).recorded(endedAt);
    this.meter.recorded(endedAt);
    this.durableLags.push(Math.max(0, at - endedAt));
  }

  /** A sessionsChanged notification at `at` carried these sessions' totals. */
  sessionsShown(sessions: readonly { id: string; usage: { requests: number } }[], at: number): void {
    for (const s of sessions) this.session(s.id).shown(s.usage.requests, at);
    this.wake();
  }

  /** A spendChanged notification at `at` whose day totals count `dayRequests` requests. */
  meterShownAt(dayRequests: number, at: number): void {
    this.meter.shown(dayRequests - this.meterBaseline, at);
    this.wake();
  }

  private session(id: string): CountMatch {
    let m = this.sessions.get(id);
    if (!m) this.sessions.set(id, (m = new CountMatch(this.treeLags)));
    return m;
  }

  /** Records not yet shown by the sidebar (and by the meter, unless only the sidebar is watched). */
  unseen(watched: Watched = 'both'): number {
    let n = watched === 'both' ? this.meter.unseen : 0;
    for (const m of this.sessions.values()) n += m.unseen;
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
