// The engine's sink as the benchmark sees it: counts each notification, serialises it as the IPC transport
// would (so its cost is in the host's CPU figure, as in the real host), and feeds the freshness tracker.
import type { EngineSink } from '../../src/host/events';
import type { SpendSummary } from '../../src/protocol/spend';
import type { SessionInfo } from '../../src/protocol/types';
import type { FreshnessTracker } from './freshness';

/** Calls per whole second since the start, to find the busiest second. */
class RateCounter {
  total = 0;
  private readonly perSecond = new Map<number, number>();

  constructor(private readonly start: number) {}

  hit(at: number): void {
    this.total++;
    const second = Math.floor((at - this.start) / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
  }

  maxPerSecond(): number {
    return Math.max(0, ...this.perSecond.values());
  }
}

export class MeasuringSink implements EngineSink {
  sessionCalls = new RateCounter(0);
  spendCalls = new RateCounter(0);
  sessionEntries = 0;
  notificationBytes = 0;
  private tracker: FreshnessTracker | undefined;
  warnings = 0;
  /** The first message of each kind logged at warn or error level. */
  readonly messages: string[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly clock: () => number) {}

  /** Starts a measured window: counters from zero, records matched by `tracker`. */
  measure(tracker: FreshnessTracker): void {
    const start = this.clock();
    this.sessionCalls = new RateCounter(start);
    this.spendCalls = new RateCounter(start);
    this.sessionEntries = 0;
    this.notificationBytes = 0;
    this.warnings = 0;
    this.messages.length = 0;
    this.seen.clear();
    this.tracker = tracker;
  }

  sessionsChanged(sessions: SessionInfo[], removed: string[]): void {
    const at = this.clock();
    this.sessionCalls.hit(at);
    this.sessionEntries += sessions.length;
    this.notificationBytes += JSON.stringify({ sessions, removed }).length;
    this.tracker?.sessionsShown(sessions, at);
  }

  spendChanged(summary: SpendSummary): void {
    const at = this.clock();
    this.spendCalls.hit(at);
    this.notificationBytes += JSON.stringify(summary).length;
    this.tracker?.meterShownAt(summary.today.usage.requests, at);
  }

  transcriptEvents(): void {}

  alert(): void {}

  // Nobody is there to ask: commands are approved, as the CLI approves in-worktree work.
  approval = async () => ({ approved: true });

  log(level: 'info' | 'warn' | 'error', message: string): void {
    if (level === 'info') return;
    if (level === 'warn') this.warnings++;
    // Session ids and numbers vary; the first of each kind of message is enough to say what happened.
    const kind = `${level}: ${message.replace(/[0-9a-f]{8,}|\d+/g, '#')}`;
    if (!this.seen.has(kind) && this.seen.size < 10) {
      this.seen.add(kind);
      this.messages.push(`${level}: ${message}`);
    }
  }
}
