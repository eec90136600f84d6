// Resource figures of the current process over a measured window.

/** Peak RSS, sampled on a timer (RSS has no event; the interval bounds how short a peak can be missed). */
export class RssSampler {
  private peakBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  start(intervalMs = 50): void {
    this.peakBytes = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      this.peakBytes = Math.max(this.peakBytes, process.memoryUsage.rss());
    }, intervalMs);
  }

  /** Stops sampling; the peak in MB. */
  stop(): number {
    clearInterval(this.timer);
    this.peakBytes = Math.max(this.peakBytes, process.memoryUsage.rss());
    return this.peakBytes / 2 ** 20;
  }
}

export const rssMb = (): number => process.memoryUsage.rss() / 2 ** 20;

/** User + system CPU time since `start`, in microseconds. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

/** A full collection when the process runs with --expose-gc (bench/run.mjs passes it on). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
}
