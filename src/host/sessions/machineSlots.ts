// How many agents run on this machine, counted across every window and CLI run that shares the home. A
// process's scheduler asks here, under one lock, before it starts a session: ten `switchyard run`s started
// at once then keep to `maxConcurrentSessions` together, as one window does. Each running session holds a
// file under `slots/running`; a session that would start but for the other processes' agents holds one
// under `slots/waiting`, so that slots go to the sessions that have waited longest, whichever process
// holds them. Files of a process that is gone count for nothing and are removed.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stillThere, type LastBeats } from '../util/heartbeats';
import { withFileLock } from '../util/fileLock';
import { makeDir, namesIn } from '../util/makeDir';
import { ownerHere, type Owner } from './ownership';

/** What a scheduler asks of the machine before it starts a session (scheduler.ts). */
export interface SlotGate {
  /**
   * Which of `candidates` (the head of this process's queue, in order, each of which it has room to
   * start) may start now, keeping the machine to `limit`. Those let in count as running on the machine
   * until `left`; the rest wait in line for the next call.
   */
  admit(candidates: readonly string[], limit: number): Promise<string[]>;
  /** The session ended its run, left the queue, or was let in but not started. */
  left(sessionId: string): void;
  /** What the last call to `admit` saw, when other processes' agents kept a session here waiting. */
  readonly busy: MachineBusy | undefined;
}

export interface MachineBusy {
  /** Agents running on the machine, this process's included. */
  running: number;
  /** Of those, run by other windows and CLI runs. */
  elsewhere: number;
  /** Sessions of other processes that have waited longer than this one's first. */
  ahead: number;
}

interface SlotFile {
  owner: Owner;
  /** Waiting only: since when (ms since the epoch), and the limit its process keeps to. */
  since?: number;
  limit?: number;
}

interface Seen {
  sessionId: string;
  file: SlotFile;
}

// A file's name is the session's id and its host's: a name, once seen, always holds the same owner.
const NAME = /^([A-Za-z0-9_-]{1,64})~([A-Za-z0-9_-]{1,64})\.json$/;
const LOCK_TIMEOUT_MS = 5_000;

export class MachineSlots implements SlotGate {
  private readonly runningDir: string;
  private readonly waitingDir: string;
  private readonly lockPath: string;
  /** This process's sessions that hold a running file (or were let in without one when the home failed). */
  private readonly mine = new Set<string>();
  /** This process's sessions waiting in line: since when, and whether their file is written. */
  private readonly waiting = new Map<string, { since: number; written: boolean }>();
  /** Other processes' files, parsed once by name (a file is never rewritten under the same name). */
  private readonly parsed = new Map<string, SlotFile | null>();
  private readonly pending = new Set<Promise<unknown>>();
  private warned = false;
  busy: MachineBusy | undefined;

  constructor(
    slotsDir: string,
    locksDir: string,
    private readonly hostId: string,
    private readonly beats: LastBeats,
    private readonly log: (message: string) => void,
  ) {
    this.runningDir = path.join(slotsDir, 'running');
    this.waitingDir = path.join(slotsDir, 'waiting');
    this.lockPath = path.join(locksDir, 'slots.lock');
  }

  async admit(candidates: readonly string[], limit: number): Promise<string[]> {
    const now = Date.now();
    for (const id of candidates) if (!this.waiting.has(id)) this.waiting.set(id, { since: now, written: false });
    // No longer at the head of the queue here (paused, or beyond this process's own limit): out of line.
    for (const id of [...this.waiting.keys()]) if (!candidates.includes(id)) this.dropWaiting(id);
    if (!candidates.length) {
      // Waiting, if at all, for this process's own slots.
      this.busy = undefined;
      return [];
    }
    try {
      return await withFileLock(this.lockPath, () => this.admitLocked(candidates, limit), { timeoutMs: LOCK_TIMEOUT_MS });
    } catch (err) {
      // A home this process cannot write to must not stop every agent: its own limit still holds.
      if (!this.warned) this.log(`Counting the agents running on this machine (${(err as Error).message}); only this process's own limit holds.`);
      this.warned = true;
      this.busy = undefined;
      for (const id of candidates) {
        this.waiting.delete(id);
        this.mine.add(id);
      }
      return [...candidates];
    }
  }

  left(sessionId: string): void {
    if (this.mine.delete(sessionId)) this.track(fs.rm(this.file(this.runningDir, sessionId), { force: true }));
    this.dropWaiting(sessionId);
  }

  /** A clean exit, once every run here has ended: this process's files go. */
  async close(): Promise<void> {
    for (const id of [...this.mine, ...this.waiting.keys()]) this.left(id);
    await this.flushed();
  }

  /** Resolves once the files of the sessions that left are gone (others see the slots free). */
  async flushed(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  private async admitLocked(candidates: readonly string[], limit: number): Promise<string[]> {
    const [running, waiting] = await Promise.all([this.others(this.runningDir), this.others(this.waitingDir)]);
    const total = running.length + this.mine.size;
    const admitted: string[] = [];
    for (const id of candidates) {
      const me = this.waiting.get(id);
      // Left the queue while the lock was being taken.
      if (!me) continue;
      // Waited longer, and able to start under its own process's limit if the machine had room.
      const ahead = waiting.filter(w => before(w, id, me.since) && total + admitted.length < (w.file.limit ?? limit)).length;
      if (total + admitted.length + ahead >= limit) {
        this.busy = { running: total + admitted.length, elsewhere: running.length, ahead };
        break;
      }
      await this.write(this.runningDir, id, { owner: ownerHere(this.hostId) });
      if (me.written) this.track(fs.rm(this.file(this.waitingDir, id), { force: true }));
      this.waiting.delete(id);
      this.mine.add(id);
      admitted.push(id);
    }
    if (!this.waiting.size) this.busy = undefined;
    for (const [id, w] of this.waiting) {
      if (w.written) continue;
      await this.write(this.waitingDir, id, { owner: ownerHere(this.hostId), since: w.since, limit });
      w.written = true;
      // Left the queue while its file was written: nothing else would remove it.
      if (this.waiting.get(id) !== w) this.track(fs.rm(this.file(this.waitingDir, id), { force: true }));
    }
    return admitted;
  }

  /** Other processes' live files in `dir`; those of processes that are gone are removed. */
  private async others(dir: string): Promise<Seen[]> {
    const names = await namesIn(dir);
    const live: Seen[] = [];
    const alive = new Map<string, boolean>();
    for (const name of names) {
      const m = NAME.exec(name);
      if (!m || m[2] === this.hostId) continue;
      const file = await this.read(dir, name);
      if (!file) continue;
      let there = alive.get(m[2]!);
      if (there === undefined) alive.set(m[2]!, (there = stillThere(file.owner, this.beats)));
      if (there) live.push({ sessionId: m[1]!, file });
      else await fs.rm(path.join(dir, name), { force: true }).then(() => this.parsed.delete(path.join(dir, name)));
    }
    return live;
  }

  private async read(dir: string, name: string): Promise<SlotFile | null> {
    const key = path.join(dir, name);
    if (this.parsed.has(key)) return this.parsed.get(key)!;
    let file: SlotFile | null = null;
    try {
      const v = JSON.parse(await fs.readFile(key, 'utf8')) as Partial<SlotFile>;
      if (v.owner && Number.isInteger(v.owner.pid) && typeof v.owner.hostId === 'string') file = v as SlotFile;
    } catch (err) {
      // Removed between the listing and the read: it holds nothing.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    }
    // Written whole (renamed into place): one that cannot be read never will be, and counts for nothing.
    if (this.parsed.size > 10_000) this.parsed.clear();
    this.parsed.set(key, file);
    return file;
  }

  private async write(dir: string, sessionId: string, file: SlotFile): Promise<void> {
    const to = this.file(dir, sessionId);
    const tmp = `${to}.${process.pid}.tmp`;
    try {
      await fs.writeFile(tmp, JSON.stringify(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await makeDir(dir);
      await fs.writeFile(tmp, JSON.stringify(file));
    }
    await fs.rename(tmp, to);
  }

  private dropWaiting(sessionId: string): void {
    const w = this.waiting.get(sessionId);
    if (!w) return;
    this.waiting.delete(sessionId);
    if (w.written) this.track(fs.rm(this.file(this.waitingDir, sessionId), { force: true }));
  }

  private file(dir: string, sessionId: string): string {
    return path.join(dir, `${sessionId}~${this.hostId}.json`);
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }
}

/** `w` has waited longer than session `id`, waiting since `since` (ties by id, the same in every process). */
function before(w: Seen, id: string, since: number): boolean {
  const ws = w.file.since ?? 0;
  return ws < since || (ws === since && w.sessionId < id);
}
