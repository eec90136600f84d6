// Who used the machine's CPUs over a window (Linux /proc): every process alive at its end, named by the
// caller, plus what the processes it names reaped from their children (git, sandboxed commands).
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fieldsOf, statFields, TICKS_PER_SECOND } from './procStats';

interface Ticks {
  own: number;
  /** CPU of children the process has waited for (cutime + cstime). */
  reaped: number;
  cmdline: string;
}

export type Snapshot = Map<number, Ticks>;

export function snapshot(): Snapshot {
  const all: Snapshot = new Map();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter(d => /^\d+$/.test(d));
  } catch {
    return all;
  }
  for (const pid of pids) {
    try {
      const f = statFields(Number(pid));
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      all.set(Number(pid), { own: f[11] + f[12], reaped: f[13] + f[14], cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** The same, read without holding up the event loop (taken while the loop's delay is measured). */
export async function snapshotAsync(): Promise<Snapshot> {
  const all: Snapshot = new Map();
  const pids = await readdir('/proc').then(ds => ds.filter(d => /^\d+$/.test(d)), () => [] as string[]);
  await Promise.all(pids.map(async pid => {
    try {
      const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]);
      const f = fieldsOf(stat);
      all.set(Number(pid), { own: f[11] + f[12], reaped: f[13] + f[14], cmdline: cmdline.split('\0').join(' ') });
    } catch {
      // gone meanwhile
    }
  }));
  return all;
}

export interface Load {
  name: string;
  cpuSeconds: number;
}

/**
 * CPU seconds per name between two snapshots, busiest first. `nameOf` names a process (undefined: "other");
 * a named process's reaped children are counted as "<name>: its child processes".
 */
export function loadBetween(before: Snapshot, after: Snapshot, nameOf: (pid: number, cmdline: string) => string | undefined): Load[] {
  const sums = new Map<string, number>();
  const add = (name: string, ticks: number) => ticks > 0 && sums.set(name, (sums.get(name) ?? 0) + ticks);
  for (const [pid, t] of after) {
    const was = before.get(pid);
    // A pid reused by another program is a new process.
    const from = was && was.cmdline === t.cmdline ? was : { own: 0, reaped: 0 };
    const name = nameOf(pid, t.cmdline);
    add(name ?? 'other', t.own - from.own);
    if (name) add(`${name}: its child processes`, t.reaped - from.reaped);
  }
  return [...sums].map(([name, ticks]) => ({ name, cpuSeconds: ticks / TICKS_PER_SECOND })).sort((a, b) => b.cpuSeconds - a.cpuSeconds);
}
