// Starts child processes, from a small helper process when the fleet is big. spawn() is synchronous and,
// on Linux, forks the whole process: the kernel copies the page tables of everything the process has
// touched, about 1.5 ms at 50 MB of resident memory, 6 ms at 150 MB, 20 ms at 350 MB (bench/spawnCost.ts),
// and the calling thread waits meanwhile. A host running 100 sessions starts thousands of git and sandbox
// processes. The helper is a bare Node process (about 12 MB of memory of its own; the rest is the Node
// binary the host already maps): a process started through it costs the host and the helper together
// 2-4 ms of CPU, against 5-7 ms forked from a host of 150-240 MB, and the host's event loop never waits
// for a fork. A small fleet, which forks rarely and from a small host, forks in place (there the helper's
// messages would cost more than the forks).
import { EventEmitter } from 'node:events';
import { type ChildProcess, spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { type FromHelper, HELPER_SOURCE, type HelperUsage, RELEASE, type ToHelper } from './launcherHelper';

export type { HelperUsage } from './launcherHelper';

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A process group of its own (pgid = pid), so killGroup reaches everything it starts. */
  detached?: boolean;
  /**
   * The child's fd 3 is a lifeline (util/lifeline.ts): a socket that this process (or the launcher
   * process, which leaves with it) holds, writes RELEASE to once the child has exited, and otherwise never
   * writes; the child reads end-of-file when the host is gone. (Not stdin: Node closes that at the exit.)
   */
  lifeline?: boolean;
}

/** The part of a ChildProcess the host uses; stdin is closed (a waiting command reads end-of-file). */
export interface LaunchedProcess {
  /** Known once 'spawn' has been emitted (from the launcher process, a message later). */
  readonly pid?: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): void;
  /** Signals the process group (detached processes only); harmless once the group is empty. */
  killGroup(signal: NodeJS.Signals): void;
  /** Closes our ends of stdout and stderr: a process that left the group may hold them open forever. */
  stopReading(): void;
  on(event: 'spawn', listener: () => void): this;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

/** Named on the helper's command line, so `ps` (and the editor benchmark) can tell what it is. */
export const HELPER_NAME = 'switchyard-launcher';
// A bare program with little garbage: a small young generation and no helper threads keep its memory low.
const HELPER_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=64', '--single-threaded', '--v8-pool-size=0'];
const START_TIMEOUT_MS = 10_000;

/** The helper's environment: the host's, run as plain Node, without options meant for the host. */
function helperEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', MALLOC_ARENA_MAX: '2' };
  // A debugger or preload flag (--inspect, --require) would start a second time in the helper.
  delete env.NODE_OPTIONS;
  return env;
}

/** A process started by the helper, seen from the host. */
class HelperProcess extends EventEmitter implements LaunchedProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  pid: number | undefined;
  private pendingGroupSignals: NodeJS.Signals[] = [];
  private closed = false;

  constructor(
    readonly id: number,
    private readonly send: (m: ToHelper) => void,
  ) {
    super();
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.closed) this.send({ op: 'kill', id: this.id, signal });
  }

  stopReading(): void {
    if (!this.closed) this.send({ op: 'stop-reading', id: this.id });
  }

  killGroup(signal: NodeJS.Signals): void {
    if (this.pid === undefined) {
      if (!this.closed) this.pendingGroupSignals.push(signal);
      return;
    }
    signalGroup(this.pid, signal);
  }

  receive(m: Exclude<FromHelper, { op: 'ready' }>): void {
    switch (m.op) {
      case 'spawned':
        this.pid = m.pid;
        for (const s of this.pendingGroupSignals.splice(0)) signalGroup(m.pid, s);
        this.emit('spawn');
        return;
      case 'data':
        (m.fd === 1 ? this.stdout : this.stderr).write(Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength));
        return;
      case 'error': {
        const err: NodeJS.ErrnoException = new Error(m.message);
        if (m.code) err.code = m.code;
        this.emit('error', err);
        return;
      }
      case 'exit':
        this.emit('exit', m.code, m.signal);
        return;
      case 'close':
        this.closeWith(m.code, m.signal);
        return;
    }
  }

  /** The helper is gone: the process is as good as lost to us. */
  abandon(reason: string): void {
    if (this.closed) return;
    const err: NodeJS.ErrnoException = new Error(`the process launcher stopped: ${reason}`);
    err.code = 'ELAUNCHER';
    this.emit('error', err);
    this.closeWith(null, null);
  }

  private closeWith(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.closed) return;
    this.closed = true;
    this.pendingGroupSignals = [];
    this.stdout.end();
    this.stderr.end();
    // After the pipes' own end events, as a ChildProcess does.
    setImmediate(() => this.emit('close', code, signal));
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

/** What every helper of this process has used, those that ended included. */
const used: HelperUsage = { cpuUs: 0, maxRssKb: 0 };
/** Helpers that ended unasked: after three, processes start in place for good. */
let helpersLost = 0;
const MAX_HELPERS_LOST = 3;

/**
 * One helper for the process, started on first use and referenced only while children run: an idle
 * launcher never keeps a CLI run or a test alive. Until the helper says it is ready, and for good once
 * helpers keep failing, processes start in place: a helper that fails costs speed, not later commands
 * (those it was running when it died end with an ELAUNCHER error).
 */
class Launcher {
  private helper: ChildProcess | undefined;
  private ready = false;
  private readonly running = new Map<number, HelperProcess>();
  private nextId = 1;
  private retiring = false;
  /** What the current helper had used when it last said. */
  private helperUsed: HelperUsage = { cpuUs: 0, maxRssKb: 0 };
  readonly started: Promise<void>;
  private markStarted!: () => void;

  constructor() {
    this.started = new Promise(resolve => (this.markStarted = resolve));
    this.start();
  }

  launch(file: string, args: readonly string[], o: LaunchOptions): LaunchedProcess {
    const helper = this.helper;
    if (!helper || !this.ready) {
      // One that was lost is replaced (in the background: this process starts in place meanwhile).
      if (!helper && !this.retiring) this.start();
      return spawnHere(file, args, o);
    }
    const p = new HelperProcess(this.nextId++, m => helper.send(m));
    this.running.set(p.id, p);
    if (this.running.size === 1) holdOpen(helper, true);
    p.on('close', () => {
      this.running.delete(p.id);
      if (this.running.size > 0 || this.helper !== helper) return;
      if (this.retiring) this.stop();
      else holdOpen(helper, false);
    });
    helper.send({ op: 'spawn', id: p.id, file, args: [...args], cwd: o.cwd, env: { ...o.env }, detached: o.detached ?? false, lifeline: o.lifeline ?? false } satisfies ToHelper);
    return p;
  }

  private start(): void {
    if (helpersLost >= MAX_HELPERS_LOST) return this.markStarted();
    let helper: ChildProcess;
    try {
      helper = spawn(process.execPath, [...HELPER_FLAGS, '-e', HELPER_SOURCE, HELPER_NAME], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        serialization: 'advanced',
        env: helperEnv(),
      });
    } catch (err) {
      if (++helpersLost === MAX_HELPERS_LOST) console.error(`Switchyard: the process launcher cannot start (${(err as Error).message}); processes start from the host itself.`);
      return this.markStarted();
    }
    // Held open while it starts (someone may be waiting for it), and given up if it never does.
    const giveUp = setTimeout(() => helper.kill('SIGKILL'), START_TIMEOUT_MS);
    helper.on('message', (m: FromHelper) => {
      // A helper that was let go (or lost) has nothing left to say that counts.
      if (this.helper !== helper) return;
      if (m.op === 'ready' || m.op === 'close') this.noteUsage(m);
      if (m.op !== 'ready') return this.running.get(m.id)?.receive(m);
      clearTimeout(giveUp);
      this.ready = true;
      if (this.running.size === 0) holdOpen(helper, false);
      this.markStarted();
    });
    const lost = (reason: string) => {
      clearTimeout(giveUp);
      if (this.helper !== helper) return;
      // Said once, on stderr (the host's log), when the launcher is given up for good.
      if (++helpersLost === MAX_HELPERS_LOST) console.error(`Switchyard: the process launcher stopped ${MAX_HELPERS_LOST} times (last: ${reason}); processes now start from the host itself.`);
      this.helper = undefined;
      this.ready = false;
      this.settleUsage();
      this.markStarted();
      for (const p of [...this.running.values()]) p.abandon(reason);
    };
    helper.on('error', err => lost(err.message));
    helper.on('exit', (code, signal) => lost(`exit ${signal ?? code}`));
    this.helper = helper;
  }

  /** Ends the helper once the processes it started are done; it takes no new ones. */
  retire(): void {
    this.retiring = true;
    if (this.running.size === 0) this.stop();
  }

  private stop(): void {
    const h = this.helper;
    this.helper = undefined;
    this.ready = false;
    this.settleUsage();
    if (h?.connected) h.disconnect();
  }

  private noteUsage(u: HelperUsage): void {
    this.helperUsed = { cpuUs: u.cpuUs, maxRssKb: u.maxRssKb };
  }

  /** The current helper's last report becomes part of the totals (it is ending). */
  private settleUsage(): void {
    used.cpuUs += this.helperUsed.cpuUs;
    used.maxRssKb = Math.max(used.maxRssKb, this.helperUsed.maxRssKb);
    this.helperUsed = { cpuUs: 0, maxRssKb: 0 };
  }

  get pid(): number | undefined {
    return this.helper?.pid;
  }

  usage(): HelperUsage {
    return { cpuUs: used.cpuUs + this.helperUsed.cpuUs, maxRssKb: Math.max(used.maxRssKb, this.helperUsed.maxRssKb) };
  }
}

/** Referenced, the helper and its channel keep this process alive; unreferenced, they do not. */
function holdOpen(helper: ChildProcess, on: boolean): void {
  if (on) {
    helper.ref();
    helper.channel?.ref();
  } else {
    helper.unref();
    helper.channel?.unref();
  }
}

let shared: Launcher | undefined;
let helperWanted = false;

/**
 * Whether processes start from the helper process (the session manager turns it on for big fleets).
 * Turned off, the helper ends once what it started is done. SWITCHYARD_SPAWN_IN_PROCESS=1 keeps it off.
 * Resolves when the helper is ready to take processes, or has failed to start (tests wait for it).
 */
export function useLauncherProcess(on: boolean): Promise<void> {
  if (process.env.SWITCHYARD_SPAWN_IN_PROCESS === '1') on = false;
  if (on !== helperWanted) {
    helperWanted = on;
    if (on) shared = new Launcher();
    else {
      shared?.retire();
      shared = undefined;
    }
  }
  return shared?.started ?? Promise.resolve();
}

/**
 * CPU time and peak memory of the helper processes so far (benchmarks add them to the host's own). The
 * CPU is as of each helper's last report: when it became ready, and after each process it started closed.
 */
export function launcherUsage(): HelperUsage {
  return shared?.usage() ?? { ...used };
}

/** Above this many running sessions, processes start from the launcher process. */
const LAUNCHER_ABOVE = 50;

/**
 * Whether a host running this many sessions should start its processes from the launcher process: forks
 * of the host are then frequent and dear (the host is big), and the launcher's own memory a small share.
 * SWITCHYARD_LAUNCHER_ABOVE moves the line (the integration tests set 0, so a real editor runs it).
 */
export function launcherWanted(runningSessions: number, env: NodeJS.ProcessEnv = process.env): boolean {
  const set = env.SWITCHYARD_LAUNCHER_ABOVE;
  const above = set !== undefined && /^\d+$/.test(set.trim()) ? Number(set) : LAUNCHER_ABOVE;
  return runningSessions > above;
}

/** The running helper's process id, if there is one (benchmarks sample its memory). */
export function launcherPid(): number | undefined {
  return shared?.pid;
}

/** Starts `file` with `args` (no shell); stdin is closed or a lifeline, stdout and stderr piped. */
export function launch(file: string, args: readonly string[], o: LaunchOptions): LaunchedProcess {
  return shared ? shared.launch(file, args, o) : spawnHere(file, args, o);
}

function spawnHere(file: string, args: readonly string[], o: LaunchOptions): LaunchedProcess {
  const child = spawn(file, [...args], { cwd: o.cwd, env: o.env, detached: o.detached ?? false, stdio: ['ignore', 'pipe', 'pipe', ...(o.lifeline ? ['pipe' as const] : [])] });
  const lifeline = child.stdio[3] as Writable | null | undefined;
  if (lifeline) {
    lifeline.on('error', () => undefined);
    child.once('exit', () => lifeline.end(RELEASE));
    child.once('error', () => lifeline.destroy());
  }
  const p = child as unknown as LaunchedProcess & { pid?: number };
  p.killGroup = (signal: NodeJS.Signals) => {
    if (child.pid !== undefined) signalGroup(child.pid, signal);
  };
  p.stopReading = () => {
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  return p;
}
