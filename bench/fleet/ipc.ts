// Both ends of the fleet benchmark's child processes: a child asks the parent how many events the
// upstream has streamed so far (to open and close its measured window) and hands back its figures.
import { fork } from 'node:child_process';
import { isChildMessage, isParentMessage, parseRunConfig, type ChildMessage, type RunConfig, type RunFigures } from './protocol';

// ---- in the child ----

let nextId = 1;
const pendingCounts = new Map<number, (events: number) => void>();

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('fleet child: not started with an IPC channel (run it through bench/fleet.ts)'));
    process.send(msg, undefined, {}, err => (err ? reject(err) : resolve()));
  });
}

/** Events the upstream has written so far (all clients together). */
export function upstreamEvents(): Promise<number> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pendingCounts.set(id, resolve);
    send({ kind: 'count', id }).catch(reject);
  });
}

/** Runs `measure` with the configuration the parent passed, reports its figures, and exits. */
export function runAsChild(measure: (c: RunConfig) => Promise<RunFigures>): void {
  process.on('message', (m: unknown) => {
    if (!isParentMessage(m)) return;
    pendingCounts.get(m.id)?.(m.events);
    pendingCounts.delete(m.id);
  });
  // Exit once the message is out: a handle left open by the code under test must not hang the benchmark.
  const done = (msg: ChildMessage) => send(msg).finally(() => process.exit(msg.kind === 'result' ? 0 : 1));
  let config: RunConfig;
  try {
    config = parseRunConfig(process.argv[2]);
  } catch (err) {
    void done({ kind: 'error', message: (err as Error).message });
    return;
  }
  measure(config).then(
    figures => done({ kind: 'result', figures }),
    err => done({ kind: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
}

// ---- in the parent ----

export interface ChildOptions {
  execArgv: string[];
  /** Answers the child's count requests. */
  events(): number;
  env?: NodeJS.ProcessEnv;
}

/** Forks a compiled child script with `config`; resolves with the figures it reports. */
export function runChild(file: string, config: RunConfig, o: ChildOptions): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    // A child's output goes to stderr: the parent's stdout carries the benchmark's result.
    const child = fork(file, [JSON.stringify(config)], { execArgv: o.execArgv, env: o.env ?? process.env, stdio: ['ignore', 2, 2, 'ipc'] });
    let outcome: { figures: RunFigures } | { error: string } | undefined;
    child.on('message', (m: unknown) => {
      if (!isChildMessage(m)) return;
      if (m.kind === 'count') child.send({ kind: 'count', id: m.id, events: o.events() });
      else if (m.kind === 'result') outcome = { figures: m.figures };
      else outcome = { error: m.message };
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (outcome && 'figures' in outcome) resolve(outcome.figures);
      else if (outcome) reject(new Error(`${file} failed: ${outcome.error}`));
      else reject(new Error(`${file} exited (${signal ?? code}) without reporting figures`));
    });
  });
}
