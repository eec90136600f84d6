// CPU time and peak RSS of another process (the agent host), from Linux's /proc. Elsewhere: undefined.
import { readFileSync } from 'node:fs';

/** Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel configuration. */
const TICKS_PER_SECOND = 100;

export interface ProcStats {
  cpuSeconds: number;
  /** VmHWM: the highest resident set size over the process's life. */
  rssPeakMb: number;
}

export function procStats(pid: number): ProcStats | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (!Number.isFinite(utime) || !Number.isFinite(stime) || !hwm) return undefined;
    return { cpuSeconds: (utime + stime) / TICKS_PER_SECOND, rssPeakMb: Number(hwm) / 1024 };
  } catch {
    return undefined;
  }
}

/** The current resident set of another process, in MB (Linux /proc). */
export function rssMbOf(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The highest RSS of another process seen while each phase lasted, sampled on a timer. */
export class PhasePeaks {
  private readonly peaks = new Map<string, number>();
  private phase: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, first: string, intervalMs = 100) {
    this.phase = first;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  enter(phase: string): void {
    this.sample();
    this.phase = phase;
  }

  stop(): Record<string, number> {
    this.sample();
    clearInterval(this.timer);
    return Object.fromEntries(this.peaks);
  }

  private sample(): void {
    const mb = rssMbOf(this.pid);
    if (mb !== undefined) this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, mb));
  }
}
