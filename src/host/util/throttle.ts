// Leading-and-trailing throttle: the first change goes out at once, later ones at most once per interval.
// So a quiet UI hears about a change without delay, and a busy one is not flooded.
import { performance } from 'node:perf_hooks';

export class Throttle {
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  /** `now` is a monotonic clock in ms: a wall clock's whole milliseconds let two calls land 99 ms apart. */
  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  trigger(): void {
    if (!this.timer) this.runOrWait();
  }

  /** Runs a pending call now (shutdown, or a caller that needs it done). */
  flush(): void {
    if (this.timer) this.run();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private runOrWait(): void {
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    // Timers count whole milliseconds and may wake a fraction early: then the rest is waited for too.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runOrWait();
    }, Math.ceil(wait));
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = this.now();
    this.fire();
  }
}
