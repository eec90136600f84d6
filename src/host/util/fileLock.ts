// Cross-process mutual exclusion with a lock file, plus an in-process queue in front of it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, utimesSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeDir } from './makeDir';

export interface LockOptions {
  /** Give up (LockTimeoutError) after this long, in-process queueing included. Default 10 s. */
  timeoutMs?: number;
  /**
   * A lock whose file was not refreshed for this long is broken even if its owner looks alive (a hung
   * process, or an owner on another host sharing the folder). Holders refresh it while they run. Default 30 s.
   */
  staleMs?: number;
}

/** Who holds a lock, or a reservation: enough to tell later whether that process is still running. */
export interface ProcessIdentity {
  pid: number;
  host: string;
  /** The process's start time as the OS reports it, to tell a reused pid apart; null where unavailable. */
  start: string | null;
  /**
   * Linux: its PID namespace. A sandboxed editor (Flatpak, Snap) or a container on the same machine has one
   * of its own, where its pid names nothing, or another process, here. Absent where unknown and in older files.
   */
  pidNs?: string;
}

interface LockOwner extends ProcessIdentity {
  token: string;
  acquiredAt: string;
}

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
  constructor(readonly lockPath: string, readonly holder: ProcessIdentity | null, timeoutMs: number) {
    super(`could not take the lock ${lockPath} within ${timeoutMs} ms` + (holder ? ` (held by pid ${holder.pid} on ${holder.host})` : ''));
  }
}

export class LockReentryError extends Error {
  override readonly name = 'LockReentryError';
  constructor(readonly lockPath: string) {
    super(`the lock ${lockPath} is already held by this call chain; taking it again would deadlock`);
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_MS = 30_000;
// A lock file is written right after it is created; one still unreadable after this died half-made.
const UNREADABLE_GRACE_MS = 2_000;
// The break lock is held for a read and an unlink; older than this, its owner died in between.
const BREAK_LOCK_STALE_MS = 5_000;
const MAX_BACKOFF_MS = 50;

const heldByChain = new AsyncLocalStorage<ReadonlySet<string>>();
const queues = new Map<string, InProcessQueue>();

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const abs = path.resolve(lockPath);
  const held = heldByChain.getStore();
  if (held?.has(abs)) throw new LockReentryError(abs);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const deadline = Date.now() + timeoutMs;

  let queue = queues.get(abs);
  if (!queue) queues.set(abs, (queue = new InProcessQueue()));
  await queue.enter(deadline, () => new LockTimeoutError(abs, null, timeoutMs));
  try {
    const token = await acquire(abs, deadline, staleMs, timeoutMs);
    // Synchronous, a few microseconds: a refresh queued behind slow work on the thread pool (the holder's
    // own file work, DNS lookups of an unreachable network) would let a live holder's lock look stale.
    const heartbeat = setInterval(() => {
      try {
        utimesSync(abs, new Date(), new Date());
      } catch {
        // Broken by another process meanwhile: its release finds out.
      }
    }, Math.max(10, staleMs / 3));
    heartbeat.unref();
    try {
      return await heldByChain.run(new Set([...(held ?? []), abs]), fn);
    } finally {
      clearInterval(heartbeat);
      await release(abs, token);
    }
  } finally {
    queue.leave();
    if (queue.idle) queues.delete(abs);
  }
}

let ownIdentity: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  if (!ownIdentity) {
    const pidNs = ownPidNamespace();
    ownIdentity = { pid: process.pid, host: os.hostname(), start: procStat(process.pid)?.start ?? null, ...(pidNs ? { pidNs } : {}) };
  }
  return ownIdentity;
}

/** This very process (a file it wrote itself); a file of an older version names no PID namespace. */
export function isThisProcess(p: ProcessIdentity): boolean {
  const me = currentProcess();
  return p.pid === me.pid && p.host === me.host && p.start === me.start && (p.pidNs === undefined || p.pidNs === me.pidNs);
}

/** A ProcessIdentity read from a file (a record, a journal), checked field by field. */
export function isProcessIdentity(v: unknown): v is ProcessIdentity {
  const p = v as ProcessIdentity | undefined;
  return typeof p === 'object' && p !== null && Number.isInteger(p.pid) && p.pid > 0 && typeof p.host === 'string'
    && (typeof p.start === 'string' || p.start === null) && (p.pidNs === undefined || typeof p.pidNs === 'string');
}

/** Another process of this machine (a child of this one), as a record names it. */
export function processOf(pid: number): ProcessIdentity {
  const { host, pidNs } = currentProcess();
  return { pid, host, start: procStat(pid)?.start ?? null, ...(pidNs ? { pidNs } : {}) };
}

/** Its pid names the same process here: the same machine, and the same PID namespace where both are known. */
export function pidMeansHere(p: { host?: string; pidNs?: string }): boolean {
  if (p.host !== undefined && p.host !== os.hostname()) return false;
  const mine = currentProcess().pidNs;
  return p.pidNs === undefined || mine === undefined || p.pidNs === mine;
}

/** False only when the process is known to be gone (or its pid now belongs to another process). */
export function isProcessAlive(p: ProcessIdentity): boolean {
  if (!pidMeansHere(p)) return true;
  try {
    process.kill(p.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const stat = procStat(p.pid);
  // Exited, and not yet reaped: a killed host whose parent has not waited for it still answers kill(pid, 0).
  if (stat?.state === 'Z') return false;
  if (p.start === null) return true;
  return stat === null || stat.start === p.start;
}

/** Its pid now names another process (Linux, with its start time known): its group's number may be that one's too. */
export function pidTakenSince(p: ProcessIdentity): boolean {
  if (p.start === null || !pidMeansHere(p)) return false;
  const stat = procStat(p.pid);
  return stat !== null && stat.start !== null && stat.start !== p.start;
}

function ownPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Linux: /proc/<pid>/stat's state (field 3) and start time in clock ticks since boot (field 22). */
function procStat(pid: number): { state: string; start: string | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', start: fields[19] ?? null };
  } catch {
    return null;
  }
}

async function acquire(abs: string, deadline: number, staleMs: number, timeoutMs: number): Promise<string> {
  const owner: LockOwner = { ...currentProcess(), token: randomBytes(12).toString('hex'), acquiredAt: new Date().toISOString() };
  let backoff = 1;
  for (;;) {
    if (await tryCreate(abs, owner)) return owner.token;
    if (await breakIfStale(abs, staleMs)) continue;
    const left = deadline - Date.now();
    if (left <= 0) throw new LockTimeoutError(abs, (await readLock(abs))?.owner ?? null, timeoutMs);
    await sleep(Math.min(left, backoff + Math.random() * backoff));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

async function tryCreate(abs: string, owner: LockOwner): Promise<boolean> {
  let file: fsp.FileHandle;
  try {
    file = await fsp.open(abs, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'ENOENT') throw e;
    await makeDir(path.dirname(abs));
    return tryCreate(abs, owner);
  }
  try {
    await file.writeFile(JSON.stringify(owner));
    await file.close();
    return true;
  } catch (e) {
    await file.close().catch(() => undefined);
    await fsp.unlink(abs).catch(() => undefined);
    throw e;
  }
}

interface SeenLock {
  content: string;
  mtimeMs: number;
  owner: LockOwner | null;
}

async function readLock(abs: string): Promise<SeenLock | null> {
  try {
    const [content, st] = await Promise.all([fsp.readFile(abs, 'utf8'), fsp.stat(abs)]);
    return { content, mtimeMs: st.mtimeMs, owner: parseOwner(content) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function parseOwner(content: string): LockOwner | null {
  try {
    const o = JSON.parse(content) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.token === 'string') {
      const pidNs = typeof o.pidNs === 'string' ? { pidNs: o.pidNs } : {};
      return { pid: o.pid, host: o.host, token: o.token, start: typeof o.start === 'string' ? o.start : null, ...pidNs, acquiredAt: String(o.acquiredAt) };
    }
  } catch {
    // unreadable: judged by age below
  }
  return null;
}

function isStale(lock: SeenLock, staleMs: number): boolean {
  const age = Date.now() - lock.mtimeMs;
  if (!lock.owner) return age > UNREADABLE_GRACE_MS;
  return !isProcessAlive(lock.owner) || age > staleMs;
}

/**
 * Removes a stale lock. Breakers serialise on a second lock file and re-check the content under it,
 * so two breakers can never remove a fresh lock taken between one's look and its unlink.
 * Returns true when the caller should retry at once.
 */
async function breakIfStale(abs: string, staleMs: number): Promise<boolean> {
  const seen = await readLock(abs);
  if (!seen) return true;
  if (!isStale(seen, staleMs)) return false;
  const breakPath = `${abs}.break`;
  try {
    await (await fsp.open(breakPath, 'wx')).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    const st = await fsp.stat(breakPath).catch(() => null);
    if (st && Date.now() - st.mtimeMs > BREAK_LOCK_STALE_MS) await fsp.unlink(breakPath).catch(() => undefined);
    return false;
  }
  try {
    const again = await readLock(abs);
    if (again && again.content === seen.content && isStale(again, staleMs)) await fsp.unlink(abs).catch(() => undefined);
    return true;
  } finally {
    await fsp.unlink(breakPath).catch(() => undefined);
  }
}

async function release(abs: string, token: string): Promise<void> {
  // If our lock was broken (we looked dead or hung), the file may now be someone else's: leave it.
  const seen = await readLock(abs).catch(() => null);
  if (seen?.owner?.token === token) await fsp.unlink(abs).catch(() => undefined);
}

/** FIFO admission for callers in this process, so they wait their turn instead of spinning on the file. */
class InProcessQueue {
  private busy = false;
  private readonly waiters: { admit: () => void }[] = [];

  get idle(): boolean {
    return !this.busy && this.waiters.length === 0;
  }

  enter(deadline: number, timeoutError: () => Error): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(timeoutError());
      }, Math.max(0, deadline - Date.now()));
      this.waiters.push(waiter);
    });
  }

  leave(): void {
    const next = this.waiters.shift();
    if (next) next.admit();
    else this.busy = false;
  }
}
