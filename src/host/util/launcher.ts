// Starts child processes, from a worker thread when the fleet is big. spawn() is synchronous and, on
// Linux, forks the whole process: the calling thread waits while the kernel copies its page tables, about
// 1.5 ms at 50 MB of resident memory, 6 ms at 150 MB, 20 ms at 350 MB (bench/spawnCost.ts). A host running
// 100 sessions starts thousands of git and sandbox processes; on its own thread each fork holds up every
// stream, notification and timer for those milliseconds. In a worker, only the worker waits. A worker
// costs about 18 MB of its own, so a small fleet, which forks rarely, forks in place.
import { EventEmitter } from 'node:events';
import { spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

export interface LaunchOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A process group of its own (pgid = pid), so killGroup reaches everything it starts. */
  detached?: boolean;
}

/** The part of a ChildProcess the host uses; stdin is always closed (a waiting command reads end-of-file). */
export interface LaunchedProcess {
  readonly stdout: Readable;
  readonly stderr: Readable;
  kill(signal?: NodeJS.Signals): void;
  /** Signals the process group (detached processes only); harmless once the group is empty. */
  killGroup(signal: NodeJS.Signals): void;
  /** Closes our ends of stdout and stderr: a process that left the group may hold them open forever. */
  stopReading(): void;
  on(event: 'error', listener: (err: NodeJS.ErrnoException) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

type ToWorker =
  | { op: 'spawn'; id: number; file: string; args: readonly string[]; cwd: string; env: NodeJS.ProcessEnv; detached: boolean }
  | { op: 'kill'; id: number; signal: NodeJS.Signals }
  | { op: 'stop-reading'; id: number };

type FromWorker =
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'data'; id: number; fd: 1 | 2; chunk: Uint8Array }
  | { op: 'error'; id: number; message: string; code?: string }
  | { op: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { op: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

// The worker's whole program, run with `eval` so no extra file has to be found next to each bundle.
// Plain JavaScript: it is not type-checked or bundled.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const children = new Map();
const post = m => parentPort.postMessage(m);
parentPort.on('message', m => {
  if (m.op === 'kill') {
    try { children.get(m.id)?.kill(m.signal); } catch {}
    return;
  }
  if (m.op === 'stop-reading') {
    const c = children.get(m.id);
    c?.stdout.destroy();
    c?.stderr.destroy();
    return;
  }
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: m.detached, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    post({ op: 'error', id: m.id, message: e.message, code: e.code });
    post({ op: 'close', id: m.id, code: null, signal: null });
    return;
  }
  children.set(m.id, child);
  if (child.pid !== undefined) post({ op: 'spawned', id: m.id, pid: child.pid });
  child.stdout.on('data', chunk => post({ op: 'data', id: m.id, fd: 1, chunk }));
  child.stderr.on('data', chunk => post({ op: 'data', id: m.id, fd: 2, chunk }));
  child.on('error', e => post({ op: 'error', id: m.id, message: e.message, code: e.code }));
  child.on('exit', (code, signal) => post({ op: 'exit', id: m.id, code, signal }));
  child.on('close', (code, signal) => { children.delete(m.id); post({ op: 'close', id: m.id, code, signal }); });
});
`;

class WorkerProcess extends EventEmitter implements LaunchedProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  pid: number | undefined;
  private pendingGroupSignals: NodeJS.Signals[] = [];
  private closed = false;

  constructor(
    readonly id: number,
    private readonly send: (m: ToWorker) => void,
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

  receive(m: FromWorker): void {
    switch (m.op) {
      case 'spawned':
        this.pid = m.pid;
        for (const s of this.pendingGroupSignals.splice(0)) signalGroup(m.pid, s);
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

  /** The worker is gone: the process is as good as lost to us. */
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

/**
 * One worker for the process, started on first use and referenced only while children run: an idle
 * launcher never keeps a CLI run or a test alive.
 */
class Launcher {
  private worker: Worker | undefined;
  private readonly running = new Map<number, WorkerProcess>();
  private nextId = 1;

  private retiring = false;

  launch(file: string, args: readonly string[], o: LaunchOptions): LaunchedProcess {
    const worker = this.worker ?? this.start();
    const p = new WorkerProcess(this.nextId++, m => worker.postMessage(m));
    this.running.set(p.id, p);
    if (this.running.size === 1) worker.ref();
    p.on('close', () => {
      this.running.delete(p.id);
      if (this.running.size > 0 || this.worker !== worker) return;
      if (this.retiring) this.stop();
      else worker.unref();
    });
    worker.postMessage({ op: 'spawn', id: p.id, file, args: [...args], cwd: o.cwd, env: { ...o.env }, detached: o.detached ?? false } satisfies ToWorker);
    return p;
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'switchyard-launcher' });
    worker.on('message', (m: FromWorker) => this.running.get(m.id)?.receive(m));
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const p of [...this.running.values()]) p.abandon(reason);
    };
    worker.on('error', err => lost(err.message));
    worker.on('exit', code => lost(`exit ${code}`));
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Ends the thread once the processes it started are done; it takes no new ones. */
  retire(): void {
    this.retiring = true;
    if (this.running.size === 0) this.stop();
  }

  private stop(): void {
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
  }
}

let shared: Launcher | undefined;
let threadWanted = false;

/**
 * Whether processes start from the launcher thread (the session manager turns it on for big fleets).
 * Turned off, the thread ends once what it started is done. SWITCHYARD_SPAWN_IN_PROCESS=1 keeps it off.
 */
export function useLauncherThread(on: boolean): void {
  if (on === threadWanted) return;
  threadWanted = on;
  if (!on) {
    shared?.retire();
    shared = undefined;
  }
}

/** Starts `file` with `args` (no shell); stdin is closed, stdout and stderr piped. */
export function launch(file: string, args: readonly string[], o: LaunchOptions): LaunchedProcess {
  if (!threadWanted || process.env.SWITCHYARD_SPAWN_IN_PROCESS === '1') return spawnHere(file, args, o);
  shared ??= new Launcher();
  return shared.launch(file, args, o);
}

function spawnHere(file: string, args: readonly string[], o: LaunchOptions): LaunchedProcess {
  const child = spawn(file, [...args], { cwd: o.cwd, env: o.env, detached: o.detached ?? false, stdio: ['ignore', 'pipe', 'pipe'] });
  const p = child as unknown as LaunchedProcess & { pid?: number };
  p.killGroup = (signal: NodeJS.Signals) => {
    if (child.pid !== undefined) signalGroup(child.pid, signal);
  };
  p.stopReading = () => {
    child.stdout.destroy();
    child.stderr.destroy();
  };
  return p;
}
