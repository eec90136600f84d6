// Whether a process that holds a session, or wrote a journal of requests in flight, is still there, where
// its pid cannot tell: without a process start time (macOS, Windows) a pid may name a new process once the
// old one has ended, and a process on another machine sharing the home cannot be looked at. Every host that
// may hold sessions or send requests touches a file of its own under the home's `hosts` folder every few
// seconds. A host whose file this process has seen unchanged for a while, by its own steady clock, is gone:
// file times are only compared with each other, never with this machine's wall clock, so a clock that
// jumps, a machine that slept, or another machine's clock on a shared folder cannot make a live host look
// gone.
import { existsSync, mkdirSync, promises as fs, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isProcessAlive, pidMeansHere } from './fileLock';

/** How often a host touches its file. */
export const BEAT_EVERY_MS = 5_000;
/** Seen unchanged for this long, a host is gone: six missed beats, far past a busy event loop's stall. */
export const BEAT_STALE_MS = 30_000;
/** Files of hosts gone this long are removed when a host starts. */
const PRUNE_AFTER_MS = 24 * 3_600_000;

/** What this process can tell of other hosts' heartbeats. */
export interface LastBeats {
  /** 'gone': its file is missing, or this process has seen it unchanged for BEAT_STALE_MS. */
  state(hostId: string): 'beating' | 'gone';
}

const HOST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A process as a session record or a journal names it; the optional fields are absent in older ones. */
export interface NamedProcess {
  pid: number;
  host?: string;
  start?: string | null;
  hostId?: string;
  pidNs?: string;
  /** Its host keeps a heartbeat: a missing file then means a host gone (one that ended cleanly removes it). */
  beats?: boolean;
}

/**
 * Its pid must be alive; where the OS gives a start time (Linux) that tells a reused pid apart, and the
 * heartbeat is not consulted (a stalled event loop is not a host gone). Without one, on another machine, or
 * in another PID namespace (a sandboxed editor), its host's heartbeat decides. A process of an older
 * version, without a heartbeat, is judged by its pid.
 */
export function stillThere(p: NamedProcess, beats: LastBeats): boolean {
  const pidAlive = p.host !== undefined
    ? isProcessAlive({ ...p, host: p.host, start: p.start ?? null })
    : signalable(p.pid);
  if (!pidAlive) return false;
  if (pidMeansHere(p) && p.start != null) return true;
  if (!p.beats || p.hostId === undefined) return true;
  return beats.state(p.hostId) !== 'gone';
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class HostHeartbeats implements LastBeats {
  private timer: NodeJS.Timeout | undefined;
  /** Per host: its file's time when this process last saw it change, and when that was by the steady clock. */
  private readonly seen = new Map<string, { mtimeMs: number; since: number }>();
  /** When this process last beat or looked, by the steady clock: a long gap means it was suspended or stalled. */
  private lastLook: number;

  constructor(
    private readonly dir: string,
    private readonly me: string,
    private readonly staleMs = BEAT_STALE_MS,
    private readonly clock: () => number = () => performance.now(),
    private readonly everyMs = BEAT_EVERY_MS,
  ) {
    this.lastLook = clock();
  }

  /** Beats now (before this host takes any session), then every `everyMs`; old hosts' files go. */
  start(log: (message: string) => void): void {
    try {
      this.beat();
    } catch (err) {
      log(`Writing this process's heartbeat: ${(err as Error).message}`);
    }
    // Synchronous, a few microseconds: a beat queued behind slow work on the thread pool (DNS lookups
    // of an unreachable network) could miss its window.
    this.timer = setInterval(() => {
      try {
        this.beat();
      } catch (err) {
        log(`Writing this process's heartbeat: ${(err as Error).message}`);
      }
    }, this.everyMs);
    this.timer.unref();
    void this.prune().catch(err => log(`Removing old heartbeats: ${(err as Error).message}`));
  }

  /** A clean exit: the host holds nothing any more, and its file goes with it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await fs.rm(this.file(this.me), { force: true });
  }

  state(hostId: string): 'beating' | 'gone' {
    // A host id names a file: anything else (a record edited by hand) is not a host that beats here.
    if (!HOST_ID.test(hostId)) return 'beating';
    const now = this.looked();
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.file(hostId)).mtimeMs;
    } catch {
      // A host that beats writes its file before anything else and removes it only at a clean exit.
      this.seen.delete(hostId);
      return 'gone';
    }
    const last = this.seen.get(hostId);
    if (!last || last.mtimeMs !== mtimeMs) {
      // First seen, or touched since: watched from now on.
      this.seen.set(hostId, { mtimeMs, since: now });
      return 'beating';
    }
    return now - last.since < this.staleMs ? 'beating' : 'gone';
  }

  /** The steady clock now; after a gap of several beats (this process was suspended or stalled) every host is watched afresh. */
  private looked(): number {
    const now = this.clock();
    if (now - this.lastLook > 3 * this.everyMs) for (const v of this.seen.values()) v.since = now;
    this.lastLook = now;
    return now;
  }

  private beat(): void {
    this.looked();
    const file = this.file(this.me);
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // Gone (a cleaned home): made again at once, or others would take this host for gone.
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(file, String(process.pid));
    }
  }

  /**
   * Judged at once from file times alone, for tidying up after hosts that were killed: its file is missing,
   * or was last touched more than the stale time before this host's own (touched every few seconds, so both
   * times are the same file system's clock). A host suspended that long counts as lapsed too; what is tidied
   * must be safe to lose for it.
   */
  lapsed(hostId: string): boolean {
    if (!HOST_ID.test(hostId) || hostId === this.me) return false;
    try {
      return statSync(this.file(this.me)).mtimeMs - statSync(this.file(hostId)).mtimeMs > this.staleMs;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(this.file(this.me));
    }
  }

  private file(hostId: string): string {
    return path.join(this.dir, hostId);
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      if (name === this.me) continue;
      const st = await fs.stat(path.join(this.dir, name)).catch(() => undefined);
      if (st && now - st.mtimeMs > PRUNE_AFTER_MS) await fs.rm(path.join(this.dir, name), { force: true });
    }
  }
}
