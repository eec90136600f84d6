// CPU time and peak RSS of another process (the agent host), from Linux's /proc. Elsewhere: undefined.
import { readFileSync } from 'node:fs';
import { anonKbOf } from '../../bench/fleet/sampler';

/** Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream kernel configuration. */
export const TICKS_PER_SECOND = 100;

/**
 * The fields of /proc/<pid>/stat after the command name, as numbers (index 11 is utime, 12 stime, 13 and
 * 14 what the process reaped from its children). The name (field 2) may hold spaces and parentheses: the
 * fields are counted after its last ')'. Throws when the process is gone.
 */
export function statFields(pid: number): number[] {
  return fieldsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The fields of a /proc/PID/stat line after the command's name (which may hold spaces and parentheses). */
export function fieldsOf(stat: string): number[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
}

export interface ProcStats {
  cpuSeconds: number;
  /** VmHWM: the highest resident set size over the process's life. */
  rssPeakMb: number;
}

export function procStats(pid: number): ProcStats | undefined {
  try {
    const [utime, stime] = statFields(pid).slice(11, 13);
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

/** The children of a process whose command line has `name` as an argument (Linux /proc). */
export function childrenNamed(pid: number, name: string): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.filter(child => {
      try {
        return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes(name);
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}

/**
 * The highest RSS of another process seen while each phase lasted, sampled on a timer; and the last
 * figures seen of each of its children named `helperName` (the agent host's launcher process, which
 * comes and goes with the size of the fleet).
 */
export class PhasePeaks {
  private readonly peaks = new Map<string, number>();
  private readonly helpers = new Map<number, ProcStats>();
  private helperPrivatePeakKb = 0;
  private phase: string;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number, first: string, private readonly helperName?: string, intervalMs = 100) {
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

  /**
   * The helpers' CPU (as last seen, summed), highest RSS, and highest memory of their own (RssAnon: the
   * rest is the Node binary's pages, which the agent host maps too); undefined when none was seen.
   */
  helperStats(): (ProcStats & { privatePeakMb: number }) | undefined {
    if (!this.helpers.size) return undefined;
    const all = [...this.helpers.values()];
    return {
      cpuSeconds: all.reduce((n, h) => n + h.cpuSeconds, 0),
      rssPeakMb: Math.max(...all.map(h => h.rssPeakMb)),
      privatePeakMb: this.helperPrivatePeakKb / 1024,
    };
  }

  private sample(): void {
    const mb = rssMbOf(this.pid);
    if (mb !== undefined) this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, mb));
    if (!this.helperName) return;
    for (const child of childrenNamed(this.pid, this.helperName)) {
      const stats = procStats(child);
      if (stats) this.helpers.set(child, stats);
      const anon = anonKbOf(child);
      if (anon !== undefined) this.helperPrivatePeakKb = Math.max(this.helperPrivatePeakKb, anon);
    }
  }
}
