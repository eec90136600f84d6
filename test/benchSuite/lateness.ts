// Why the extension host's event loop was late (Linux). A timer at the delay monitor's resolution notes how
// late it fired and, from /proc/thread-self/schedstat, how long this thread ran meanwhile and how long it
// was ready to run but waited for a CPU. A late tick spent waiting was the machine's other processes, not
// work of this one; one spent running was its own work (VS Code's, an extension's, garbage collection).
import { readFileSync } from 'node:fs';

export interface Lateness {
  /** Ticks seen, and those later than thresholdMs (the ones the p99 target is about). */
  ticks: number;
  late: number;
  thresholdMs: number;
  /** Late ticks during which the thread waited for a CPU for at least half the lateness. */
  waitingForCpu: number;
  /** Late ticks during which the thread ran for at least half the lateness. */
  ownWork: number;
}

/** Time on a CPU and time waiting for one, in ms, of the calling thread; undefined off Linux. */
function schedstat(): { ran: number; waited: number } | undefined {
  try {
    const [ran, waited] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return Number.isFinite(ran) && Number.isFinite(waited) ? { ran: ran / 1e6, waited: waited / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

export class LatenessProbe {
  private timer: NodeJS.Timeout | undefined;
  private readonly result: Lateness;

  constructor(private readonly resolutionMs: number, thresholdMs: number) {
    this.result = { ticks: 0, late: 0, thresholdMs, waitingForCpu: 0, ownWork: 0 };
  }

  start(): void {
    let last = performance.now();
    let before = schedstat();
    if (!before) return;
    const tick = () => {
      const now = performance.now();
      const at = schedstat();
      const late = now - last - this.resolutionMs;
      this.result.ticks++;
      if (at && before && late > this.result.thresholdMs) {
        this.result.late++;
        if (at.waited - before.waited >= late / 2) this.result.waitingForCpu++;
        if (at.ran - before.ran >= late / 2) this.result.ownWork++;
      }
      last = now;
      before = at;
      this.timer = setTimeout(tick, this.resolutionMs);
    };
    this.timer = setTimeout(tick, this.resolutionMs);
  }

  /** Undefined when the thread's scheduling figures cannot be read (not Linux). */
  stop(): Lateness | undefined {
    clearTimeout(this.timer);
    return this.result.ticks ? { ...this.result } : undefined;
  }
}
