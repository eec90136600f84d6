// Whether a process that holds a session, or wrote a journal of requests in flight, is still there, where
// its pid cannot tell: without a process start time (macOS, Windows) a pid may name a new process once the
// old one has ended, and a process on another machine sharing the home cannot be looked at. Every host that
// may hold sessions or send requests touches a file of its own under the home's `hosts` folder every few
// seconds; one not touched for a while is a host gone.
import { mkdirSync, promises as fs, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './fileLock';

/** How often a host touches its file (its session manager's poll runs every second). */
export const BEAT_EVERY_MS = 5_000;
/** Not touched for this long, the host is gone: six missed beats, far past a busy event loop's stall. */
export const BEAT_STALE_MS = 30_000;
/** Files of hosts gone this long are removed when a host starts. */
const PRUNE_AFTER_MS = 24 * 3_600_000;

/** When hosts last beat, as other processes see it. */
export interface LastBeats {
  /** Milliseconds since the epoch; undefined when the host has no file (an older version, or long gone). */
  lastBeat(hostId: string): number | undefined;
}

const HOST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A process as a session record or a journal names it; `host`, `start` and `hostId` are absent in older ones. */
export interface NamedProcess {
  pid: number;
  host?: string;
  start?: string | null;
  hostId?: string;
}

/**
 * Its pid must be alive; where the OS gives a start time (Linux) that tells a reused pid apart, and the
 * heartbeat is not consulted (a stalled event loop is not a host gone). Without one, or on another machine,
 * its host's heartbeat decides; a host without a heartbeat file (an older version) is judged by its pid.
 */
export function stillThere(p: NamedProcess, beats: LastBeats, now = Date.now()): boolean {
  const pidAlive = p.host !== undefined ? isProcessAlive({ pid: p.pid, host: p.host, start: p.start ?? null }) : signalable(p.pid);
  if (!pidAlive) return false;
  if ((p.host === undefined || p.host === hostname()) && p.start != null) return true;
  const last = p.hostId === undefined ? undefined : beats.lastBeat(p.hostId);
  return last === undefined || now - last < BEAT_STALE_MS;
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

  constructor(private readonly dir: string, private readonly me: string) {}

  /** Beats now (before this host takes any session), then every BEAT_EVERY_MS; old hosts' files go. */
  start(log: (message: string) => void): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      this.write();
    } catch (err) {
      log(`Writing this process's heartbeat: ${(err as Error).message}`);
    }
    this.timer = setInterval(() => this.beat(log), BEAT_EVERY_MS);
    this.timer.unref();
    void this.prune().catch(err => log(`Removing old heartbeats: ${(err as Error).message}`));
  }

  /** A clean exit: the host holds nothing any more, and its file goes with it. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await fs.rm(this.file(this.me), { force: true });
  }

  lastBeat(hostId: string): number | undefined {
    if (!HOST_ID.test(hostId)) return undefined;
    try {
      return statSync(this.file(hostId)).mtimeMs;
    } catch {
      return undefined;
    }
  }

  private beat(log: (message: string) => void): void {
    fs.writeFile(this.file(this.me), String(process.pid)).catch((err: Error) => log(`Writing this process's heartbeat: ${err.message}`));
  }

  private write(): void {
    writeFileSync(this.file(this.me), String(process.pid));
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
