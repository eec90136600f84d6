// The launcher's helper process (util/launcher.ts): the messages it exchanges with the host, and its
// program, which the host runs with `node -e`.

export type ToHelper =
  | { op: 'spawn'; id: number; file: string; args: readonly string[]; cwd: string; env: NodeJS.ProcessEnv; detached: boolean; lifeline: boolean }
  | { op: 'kill'; id: number; signal: NodeJS.Signals }
  | { op: 'stop-reading'; id: number };

/** What a live host writes to a lifeline once the child has exited: its watcher leaves quietly (util/lifeline.ts). */
export const RELEASE = 'q\n';

/** What the helper has used so far: its CPU time and its peak resident set. */
export interface HelperUsage {
  cpuUs: number;
  maxRssKb: number;
}

export type FromHelper =
  | ({ op: 'ready' } & HelperUsage)
  | { op: 'spawned'; id: number; pid: number }
  | { op: 'data'; id: number; fd: 1 | 2; chunk: Uint8Array }
  | { op: 'error'; id: number; message: string; code?: string }
  | { op: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | ({ op: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null } & HelperUsage);

// The helper's whole program, run with `node -e` so no extra file has to be found next to each bundle.
// Plain JavaScript: it is not type-checked or bundled. When the host goes away (the IPC channel closes),
// the helper leaves: what it started is the host's to stop, by process group, as before; a lifeline it
// held closes with it.
export const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const children = new Map();
// A send fails when the host let go just before (it closed its end before this process saw it); the
// 'disconnect' that follows ends this process, quietly, instead of an unhandled EPIPE and its stack trace.
const ignore = () => {};
const post = m => { if (process.connected) process.send(m, undefined, undefined, ignore); };
// Output is sent on as it comes, but a host that is busy (a long tick, a collection) reads none of it
// meanwhile: past HIGH bytes not yet written to the channel, the senders' pipes are paused, and the kernel
// holds their programs back, as a pipe to the host itself would; they resume once LOW is reached.
const HIGH = 1 << 20, LOW = 1 << 18;
let unsent = 0;
const paused = new Set();
const sendData = (m, stream) => {
  if (!process.connected) return;
  unsent += m.chunk.length;
  process.send(m, undefined, undefined, () => {
    unsent -= m.chunk.length;
    if (unsent > LOW || !paused.size) return;
    for (const s of paused) s.resume();
    paused.clear();
  });
  if (unsent > HIGH) {
    stream.pause();
    paused.add(stream);
  }
};
const usage = () => { const u = process.cpuUsage(); return { cpuUs: u.user + u.system, maxRssKb: process.resourceUsage().maxRSS }; };
process.on('disconnect', () => process.exit(0));
process.on('message', m => {
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
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: m.detached, stdio: ['ignore', 'pipe', 'pipe', ...(m.lifeline ? ['pipe'] : [])] });
  } catch (e) {
    post({ op: 'error', id: m.id, message: e.message, code: e.code });
    post({ op: 'close', id: m.id, code: null, signal: null, ...usage() });
    return;
  }
  children.set(m.id, child);
  if (child.pid !== undefined) post({ op: 'spawned', id: m.id, pid: child.pid });
  child.stdout.on('data', chunk => sendData({ op: 'data', id: m.id, fd: 1, chunk }, child.stdout));
  child.stderr.on('data', chunk => sendData({ op: 'data', id: m.id, fd: 2, chunk }, child.stderr));
  child.on('error', e => post({ op: 'error', id: m.id, message: e.message, code: e.code }));
  const lifeline = child.stdio[3];
  lifeline?.on('error', ignore);
  child.on('exit', (code, signal) => { lifeline?.end(${JSON.stringify(RELEASE)}); post({ op: 'exit', id: m.id, code, signal }); });
  child.on('close', (code, signal) => { children.delete(m.id); post({ op: 'close', id: m.id, code, signal, ...usage() }); });
});
post({ op: 'ready', ...usage() });
`;
