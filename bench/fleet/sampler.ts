// Resource figures of the current process over a measured window.
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import type { CpuProfile } from './profile';

/** Peak RSS over a window. On Linux the kernel's own high-water mark (VmHWM, reset at the start through
 *  /proc/self/clear_refs) catches peaks between samples, as the editor benchmark's reading of the agent host
 *  does; elsewhere RSS is sampled on a timer. */
export class RssSampler {
  private peakBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private kernelPeak = false;

  start(intervalMs = 50): void {
    this.kernelPeak = resetKernelPeak();
    this.peakBytes = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      this.peakBytes = Math.max(this.peakBytes, process.memoryUsage.rss());
    }, intervalMs);
  }

  /** Stops sampling; the peak in MB. */
  stop(): number {
    clearInterval(this.timer);
    this.peakBytes = Math.max(this.peakBytes, process.memoryUsage.rss(), this.kernelPeak ? kernelPeakBytes() ?? 0 : 0);
    return this.peakBytes / 2 ** 20;
  }
}

function resetKernelPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return kernelPeakBytes() !== undefined;
  } catch {
    return false;
  }
}

function kernelPeakBytes(): number | undefined {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const rssMb = (): number => process.memoryUsage.rss() / 2 ** 20;

/**
 * The memory of its own (RssAnon: not the files it maps, which the host maps too) of whichever process
 * `pid()` names, sampled on a timer: the launcher process, which comes and goes with the fleet (Linux).
 */
export class PrivateMemorySampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(pid: () => number | undefined, intervalMs = 100) {
    this.timer = setInterval(() => {
      const p = pid();
      const kb = p === undefined ? undefined : anonKbOf(p);
      if (kb !== undefined) this.peakKb = Math.max(this.peakKb, kb);
    }, intervalMs);
  }

  /** Stops sampling; the peak in MB (0 when nothing was seen). */
  stop(): number {
    clearInterval(this.timer);
    return this.peakKb / 1024;
  }
}

export function anonKbOf(pid: number): number | undefined {
  try {
    const kb = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) : undefined;
  } catch {
    return undefined;
  }
}

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
