// At most N agents run at once on this machine; the rest wait in a queue and start in order as slots free.
export class Scheduler {
  private readonly queue: string[] = [];
  private readonly running = new Set<string>();
  private reported = 0;

  private limit: number;
  private closed = false;

  constructor(
    limit: number,
    private readonly start: (sessionId: string) => void,
    /** Told whenever the number of running sessions changes. */
    private readonly onRunningCount: (running: number) => void = () => {},
  ) {
    this.limit = atLeastOne(limit);
  }

  setLimit(limit: number): void {
    this.limit = atLeastOne(limit);
    this.pump();
  }

  enqueue(sessionId: string): void {
    if (this.running.has(sessionId) || this.queue.includes(sessionId)) return;
    this.queue.push(sessionId);
    this.pump();
  }

  /** The session stopped running (finished, paused, failed…) or left the queue. */
  release(sessionId: string): void {
    const i = this.queue.indexOf(sessionId);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.running.delete(sessionId) || i >= 0) this.pump();
    this.reportCount();
  }

  isRunning(sessionId: string): boolean {
    return this.running.has(sessionId);
  }

  /** 1-based position in the queue, or undefined when not queued. */
  position(sessionId: string): number | undefined {
    const i = this.queue.indexOf(sessionId);
    return i >= 0 ? i + 1 : undefined;
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Starts nothing from now on (the host is closing); what is queued stays queued on disk, for the next host. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.limit && this.queue.length) {
      const next = this.queue.shift()!;
      this.running.add(next);
      this.start(next);
    }
    this.reportCount();
  }

  private reportCount(): void {
    if (this.running.size === this.reported) return;
    this.reported = this.running.size;
    this.onRunningCount(this.reported);
  }
}

/** A limit below one (or not a number, from a settings file edited by hand) would start nothing, ever. */
function atLeastOne(limit: number): number {
  return Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 1;
}
