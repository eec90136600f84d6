// How many agents run on this machine, counted across every window and CLI run that shares the home. A
// process's scheduler asks here, under one lock, before it starts a session: ten `switchyard run`s started
// at once then keep to `maxConcurrentSessions` together, as one window does. Each running session holds a
// file under `slots/running`; a session that would start but for the other processes' agents holds one
// under `slots/waiting`, so that slots go to the sessions that have waited longest, whichever process
// holds them. Files of a process that is gone count for nothing and are removed; a place in line that its
// process stopped renewing (a CLI run suspended with Ctrl-Z) holds nobody back.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stillThere, type LastBeats } from '../util/heartbeats';
import { LockTimeoutError, withFileLock } from '../util/fileLock';
import { namesIn } from '../util/makeDir';
import { writeWhole } from '../util/writeWhole';
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
  /** The session is in line for the machine: this process has room for it, the machine has not. */
  waitsForMachine(sessionId: string): boolean;
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

/** A file system's time, read from a file just written: comparable with other files' times there, not with Date.now(). */
type FsTime = number;

// A running file's name is the session's id and its host's, and it always holds that host's owner: read once.
const NAME = /^([A-Za-z0-9_-]{1,64})~([A-Za-z0-9_-]{1,64})\.json$/;
const LOCK_TIMEOUT_MS = 5_000;
/**
 * Held for a few milliseconds, and refreshed while held: not refreshed for this long, its holder is stalled
 * (a CLI run suspended with Ctrl-Z) and the lock is broken, rather than every process waiting for it.
 */
const LOCK_STALE_MS = 2_000;
/** A process in line renews its places at every look (every 250 ms); one not renewed for this long is away. */
const WAITING_STALE_MS = 5_000;
/** Half-written files of a process that died between its write and its rename. */
const TMP_STALE_MS = 60_000;
/** A file of this process that could not be removed (others count it) is tried again this often. */
const REMOVE_RETRY_MS = 1_000;
/** Errors that pass: the sessions here keep their place and ask again. Any other means no slot can be kept here. */
const PASSING = new Set(['EMFILE', 'ENFILE', 'EBUSY', 'EAGAIN', 'EINTR']);

export class MachineSlots implements SlotGate {
  private readonly runningDir: string;
  private readonly waitingDir: string;
  private readonly lockPath: string;
  /** This process's sessions that hold a running file (or were let in without one when the home failed). */
  private readonly mine = new Set<string>();
  /** This process's sessions waiting in line: since when, and whether their file is written. */
  private readonly waiting = new Map<string, { since: number; written: boolean }>();
  /** Other processes' running files, by path. */
  private readonly parsed = new Map<string, SlotFile | null>();
  private readonly pending = new Set<Promise<unknown>>();
  /** This process's files that could not be removed (path → session id): others count them until they go. */
  private readonly unremoved = new Map<string, string>();
  private retryTimer: NodeJS.Timeout | undefined;
  private admitting: Promise<unknown> | undefined;
  private readonly warned = new Set<string>();
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

  admit(candidates: readonly string[], limit: number): Promise<string[]> {
    const p = this.admitNow(candidates, limit);
    this.admitting = p;
    return p;
  }

  left(sessionId: string): void {
    if (this.mine.delete(sessionId)) this.remove(this.file(this.runningDir, sessionId), sessionId);
    this.dropWaiting(sessionId);
  }

  waitsForMachine(sessionId: string): boolean {
    return this.busy !== undefined && this.waiting.has(sessionId);
  }

  /** A clean exit, once every run here has ended: this process's files go. */
  async close(): Promise<void> {
    // A file an answer under way writes would otherwise be left behind.
    await this.admitting?.catch(() => undefined);
    for (const id of [...this.mine, ...this.waiting.keys()]) this.left(id);
    await this.flushed();
    clearTimeout(this.retryTimer);
    await Promise.all([...this.unremoved.keys()].map(file => fs.rm(file, { force: true }).catch(() => undefined)));
  }

  /** Resolves once the files of the sessions that left are gone (others see the slots free). */
  async flushed(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  private async admitNow(candidates: readonly string[], limit: number): Promise<string[]> {
    const now = Date.now();
    for (const id of candidates) if (!this.waiting.has(id)) this.waiting.set(id, { since: now, written: false });
    // No longer at the head of the queue here (paused, or beyond this process's own limit): out of line.
    for (const id of [...this.waiting.keys()]) if (!candidates.includes(id)) this.dropWaiting(id);
    if (!candidates.length) {
      // Waiting, if at all, for this process's own slots.
      this.busy = undefined;
      return [];
    }
    // A removal still on its way must not land after a new file of the same name.
    await this.flushed();
    try {
      return await withFileLock(this.lockPath, () => this.admitLocked(candidates, limit), { timeoutMs: LOCK_TIMEOUT_MS, staleMs: LOCK_STALE_MS });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A lock held too long (a stalled process) is broken once stale: the sessions here keep their place meanwhile.
      if (err instanceof LockTimeoutError || (code && PASSING.has(code))) {
        // Let in before the error, but not started: counted as running until asked again.
        for (const id of candidates) if (this.mine.has(id)) this.left(id);
        this.warnOnce(code ?? 'timeout', `Counting the agents running on this machine: ${(err as Error).message}. The sessions here keep their place and ask again.`);
        return [];
      }
      // A home where slots cannot be kept (not writable, full) must not stop every agent.
      this.warnOnce('cannot', `Cannot keep count of the agents running on this machine (${(err as Error).message}): this process now keeps only to its own limit of ${limit}, not counting other windows and runs. Make ${path.dirname(this.runningDir)} a folder this user can write to.`);
      this.busy = undefined;
      for (const id of candidates) {
        this.dropWaiting(id);
        this.mine.add(id);
      }
      return [...candidates];
    }
  }

  private async admitLocked(candidates: readonly string[], limit: number): Promise<string[]> {
    // Taken a moment ago, the lock file's time is the file system's now.
    const now: FsTime = (await fs.stat(this.lockPath)).mtimeMs;
    // Whether each host is there, looked at once in this answer: one process may hold a hundred files.
    const hosts = new Map<string, boolean>();
    const [running, waiting] = await Promise.all([this.othersRunning(now, hosts), this.othersWaiting(now, hosts)]);
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
      if (me.written) this.remove(this.file(this.waitingDir, id), id);
      this.waiting.delete(id);
      this.mine.add(id);
      admitted.push(id);
    }
    if (!this.waiting.size) this.busy = undefined;
    await Promise.all([...this.waiting].map(([id, w]) => this.holdPlace(id, w, limit)));
    return admitted;
  }

  /**
   * Writes the session's place in line, again at every look: others count a place not renewed for a while as
   * away. Written, not touched, so that its time is the file system's own, as the lock file's is.
   */
  private async holdPlace(id: string, w: { since: number; written: boolean }, limit: number): Promise<void> {
    const file = this.file(this.waitingDir, id);
    await this.write(this.waitingDir, id, { owner: ownerHere(this.hostId), since: w.since, limit });
    w.written = true;
    // Left the queue while its file was written: nothing else would remove it.
    if (this.waiting.get(id) !== w) this.remove(file, id);
  }

  /** Other processes' running files whose process is there; those of processes gone are removed. */
  private async othersRunning(now: FsTime, hosts: Map<string, boolean>): Promise<Seen[]> {
    const names = await this.listed(this.runningDir, now);
    for (const key of this.parsed.keys()) if (!names.has(path.basename(key))) this.parsed.delete(key);
    const live: Seen[] = [];
    for (const [name, sessionId] of names) {
      const key = path.join(this.runningDir, name);
      if (!this.parsed.has(key)) this.parsed.set(key, (await this.read(key))?.file ?? null);
      const file = this.parsed.get(key);
      if (file && (await this.there(key, file, hosts))) live.push({ sessionId, file });
    }
    return live;
  }

  /** Other processes' places in line that are renewed and whose process is there. Read afresh: a place is rewritten when a session waits again. */
  private async othersWaiting(now: FsTime, hosts: Map<string, boolean>): Promise<Seen[]> {
    const live: Seen[] = [];
    for (const [name, sessionId] of await this.listed(this.waitingDir, now)) {
      const key = path.join(this.waitingDir, name);
      const seen = await this.read(key);
      // Its process looked at first, stale or not: a dead process's place is removed, not left for good.
      if (seen && (await this.there(key, seen.file, hosts)) && now - seen.mtimeMs < WAITING_STALE_MS) live.push({ sessionId, file: seen.file });
    }
    return live;
  }

  /** Other hosts' slot files in `dir` (name → session id); half-written leftovers of a crash are removed. */
  private async listed(dir: string, now: FsTime): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of await namesIn(dir)) {
      const m = NAME.exec(name);
      if (m && m[2] !== this.hostId) out.set(name, m[1]!);
      else if (name.endsWith('.tmp')) {
        const st = await fs.stat(path.join(dir, name)).catch(() => undefined);
        if (st && now - st.mtimeMs > TMP_STALE_MS) await fs.rm(path.join(dir, name), { force: true });
      }
    }
    return out;
  }

  /** Its process is still there; if not, the file goes. */
  private async there(key: string, file: SlotFile, hosts: Map<string, boolean>): Promise<boolean> {
    let there = hosts.get(file.owner.hostId);
    if (there === undefined) hosts.set(file.owner.hostId, (there = stillThere(file.owner, this.beats)));
    if (there) return true;
    await fs.rm(key, { force: true });
    this.parsed.delete(key);
    return false;
  }

  /** Written whole (renamed into place), a file that cannot be parsed never will be: it counts for nothing. */
  private async read(key: string): Promise<{ file: SlotFile; mtimeMs: FsTime } | null> {
    try {
      const [text, st] = await Promise.all([fs.readFile(key, 'utf8'), fs.stat(key)]);
      const v = JSON.parse(text) as Partial<SlotFile>;
      if (v.owner && Number.isInteger(v.owner.pid) && typeof v.owner.hostId === 'string') return { file: v as SlotFile, mtimeMs: st.mtimeMs };
    } catch {
      // Removed between the listing and the read, or torn: it holds nothing.
    }
    return null;
  }

  private async write(dir: string, sessionId: string, file: SlotFile): Promise<void> {
    const key = this.file(dir, sessionId);
    // Written again, it holds what it should: no longer one to remove. A removal tried again meanwhile
    // (removeAgain) must land before the new file, not after it.
    this.unremoved.delete(key);
    await this.flushed();
    await writeWhole(key, JSON.stringify(file));
  }

  /**
   * A file that stays would count as an agent running (or waiting) in every other process for as long as
   * this one lives: one that cannot be removed (a file held open on Windows, a passing I/O error) is tried
   * again until it goes.
   */
  private remove(file: string, sessionId: string): void {
    this.track(fs.rm(file, { force: true }).then(
      () => void this.unremoved.delete(file),
      (err: Error) => {
        this.unremoved.set(file, sessionId);
        this.warnOnce('remove', `Could not remove ${file} (${err.message}): other windows and CLI runs count it until it goes. Trying again every second.`);
        this.retryTimer ??= setTimeout(() => this.removeAgain(), REMOVE_RETRY_MS).unref();
      },
    ));
  }

  private removeAgain(): void {
    this.retryTimer = undefined;
    for (const [file, id] of this.unremoved) {
      const running = file.startsWith(this.runningDir + path.sep);
      // In line again: its place in the line is about to be rewritten. A running file left from before
      // still counts as an agent elsewhere while the session waits, so it goes on being removed.
      if (this.waiting.has(id) && !running) continue;
      this.unremoved.delete(file);
      // Running again: the file holds its slot.
      if (this.mine.has(id) && running) continue;
      this.remove(file, id);
    }
    if (this.unremoved.size) this.retryTimer ??= setTimeout(() => this.removeAgain(), REMOVE_RETRY_MS).unref();
  }

  private dropWaiting(sessionId: string): void {
    const w = this.waiting.get(sessionId);
    if (!w) return;
    this.waiting.delete(sessionId);
    if (w.written) this.remove(this.file(this.waitingDir, sessionId), sessionId);
  }

  private file(dir: string, sessionId: string): string {
    return path.join(dir, `${sessionId}~${this.hostId}.json`);
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.log(message);
  }
}

/** `w` has waited longer than session `id`, waiting since `since` (ties by id, the same in every process). */
function before(w: Seen, id: string, since: number): boolean {
  const ws = w.file.since ?? 0;
  return ws < since || (ws === since && w.sessionId < id);
}
