// Leading-and-trailing throttle: the first change goes out at once, later ones at most once per interval.
// So a quiet UI hears about a change without delay, and a busy one is not flooded.
export class Throttle {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  trigger(): void {
    if (this.timer) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) {
      this.run();
      return;
    }
    this.timer = setTimeout(() => this.run(), wait);
  }

  /** Runs a pending call now (shutdown). */
  flush(): void {
    if (this.timer) this.run();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.last = this.now();
    this.fire();
  }
}
