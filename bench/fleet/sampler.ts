// Resource figures of the current process over a measured window.
import { Session } from 'node:inspector';
import type { CpuProfile } from './profile';

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

/** A V8 CPU profile of this process between start() and stop(), through the inspector (no restart needed). */
export class WindowProfiler {
  private session: Session | undefined;

  /** @param intervalUs sampling interval; 1 ms is --cpu-prof's default, 10 ms costs next to nothing */
  constructor(private readonly intervalUs = 1000) {}

  async start(): Promise<void> {
    const session = new Session();
    session.connect();
    const post = (method: string, params?: object) => new Promise<void>((resolve, reject) => session.post(method, params ?? {}, err => (err ? reject(err) : resolve())));
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: this.intervalUs });
    await post('Profiler.start');
    this.session = session;
  }

  /** Stops profiling; the profile in the .cpuprofile format (what node --cpu-prof writes). */
  async stop(): Promise<CpuProfile> {
    const session = this.session;
    if (!session) throw new Error('the profiler was not started');
    this.session = undefined;
    try {
      return await new Promise<CpuProfile>((resolve, reject) => session.post('Profiler.stop', (err, r) => (err ? reject(err) : resolve(r.profile as CpuProfile))));
    } finally {
      session.disconnect();
    }
  }
}
