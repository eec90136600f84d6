// The agent host's CPU priority (see HostPriority in src/protocol/host.ts). With a fleet streaming, the
// host, its git and the agents' commands compete with the editor for the same cores; the extension host's
// event loop then waits for a CPU more often than for its own work (BENCHMARKS.md, the editor benchmark).
import { readdirSync } from 'node:fs';
import * as os from 'node:os';
import type { HostPriority } from '../../protocol/host';

/** The nice value of a background host: below the editor, above idle-only work (19). */
export const BACKGROUND_NICE = 10;

export interface PriorityControl {
  get(): number;
  set(nice: number): void;
}

// `get` reads the calling (main) thread: it starts every thread and child process, which inherit its value.
const thisProcess: PriorityControl = {
  get: () => os.getPriority(0),
  set: nice => lowerEveryThread(nice, threadIds(), { get: os.getPriority, set: os.setPriority }),
};

/**
 * Linux gives each thread a nice value of its own, and pid 0 is only the calling thread: V8's worker
 * threads (garbage collection, compilation), started before any script runs, would keep competing with
 * the editor at its priority. So every thread is listed; a thread started later inherits its starter's.
 * Elsewhere the priority is the process's, and pid 0 sets it.
 */
function threadIds(): number[] {
  if (process.platform !== 'linux') return [0];
  return readdirSync('/proc/self/task').map(Number).filter(Number.isInteger);
}

/** Lowers each thread to `nice`, never raising one; a thread that ended meanwhile is skipped. */
export function lowerEveryThread(nice: number, tids: readonly number[], threads: { get(tid: number): number; set(tid: number, nice: number): void }): void {
  for (const tid of tids) {
    try {
      if (threads.get(tid) < nice) threads.set(tid, nice);
    } catch (err) {
      // Node reports a vanished thread as a system error whose info names ESRCH.
      if ((err as { info?: { code?: string } }).info?.code !== 'ESRCH') throw err;
    }
  }
}

/**
 * The shell line that gives a new session's autogroup this host's nice value (empty where there is nothing
 * to lower). On Linux with autogroups the scheduler shares the CPU between sessions first, whatever the nice
 * values inside them: a command started in a session of its own (a process group of its own) would be
 * scheduled beside the editor, not below it. Raising an autogroup's nice value needs no privilege, but the
 * kernel takes it from an unprivileged process at most ten times a second machine-wide: best effort, a write
 * refused leaves the command at the editor's weight, as before. (The OS sandbox starts its command in one
 * more session, whose autogroup refuses the write from inside.)
 */
export function autogroupLine(nice = ownNice()): string {
  return nice > 0 ? `{ echo ${nice} > /proc/self/autogroup; } 2>/dev/null` : '';
}

function ownNice(): number {
  if (process.platform !== 'linux') return 0;
  try {
    return os.getPriority(0);
  } catch {
    return 0;
  }
}

/**
 * Lowers this process's priority for `background`; never raises it (a user who started the editor with a
 * lower priority keeps theirs). Returns why it could not, for the log; a host that keeps its priority
 * works the same, only less politely.
 */
export function applyHostPriority(p: HostPriority, control: PriorityControl = thisProcess): string | undefined {
  if (p !== 'background') return undefined;
  try {
    if (control.get() < BACKGROUND_NICE) control.set(BACKGROUND_NICE);
    return undefined;
  } catch (err) {
    return `The agent host keeps its normal priority: ${(err as Error).message}`;
  }
}
