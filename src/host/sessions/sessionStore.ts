// Session records on disk, one folder per session under the repository's folder in the Switchyard home.
// Writes are atomic (temp file + rename) so a crash never leaves half a record; other processes' sessions
// (a CLI run, another window) are picked up by polling, which is cheap and works on every file system.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { HomeLayout } from '../home';
import { parseRecord, type SessionRecord } from './sessionRecord';
import { makeDir } from '../util/makeDir';

export interface SessionPaths {
  dir: string;
  record: string;
  transcript: string;
  conversation: string;
  /** The turns as the loop guard saw them (`switchyard replay` reads this format). */
  trace: string;
  /** Private git index used to fingerprint the worktree without touching the agent's own index. */
  fingerprintIndex: string;
  tempDir: string;
}

/** A session's save in progress, and the newest state waiting behind it. */
interface Saving {
  current: Promise<void>;
  next?: { record: SessionRecord; snapshot: string; done: Promise<void> };
}

/** One changedSince call in this many, per repository, also looks at closed sessions (with a poll a second: every 30 s). */
export const CLOSED_EVERY = 30;

export class SessionStore {
  private readonly mtimes = new Map<string, number>();
  /** Saves of one session run in order, so an older state never lands after a newer one. */
  private readonly saving = new Map<string, Saving>();
  /** Session folders this store has made, and repositories it has recorded: a save needs neither again. */
  private readonly made = new Set<string>();
  private readonly remembered = new Set<string>();
  /** changedSince calls so far, per repository. */
  private readonly polls = new Map<string, number>();

  constructor(private readonly home: HomeLayout) {}

  newId(): string {
    return randomBytes(5).toString('hex');
  }

  paths(repo: string, id: string): SessionPaths {
    const dir = path.join(this.home.sessionsDir(repo), id);
    return {
      dir,
      record: path.join(dir, 'session.json'),
      transcript: path.join(dir, 'transcript.jsonl'),
      conversation: path.join(dir, 'conversation.jsonl'),
      trace: path.join(dir, 'trace.jsonl'),
      fingerprintIndex: path.join(dir, 'fingerprint.index'),
      tempDir: path.join(dir, 'tmp'),
    };
  }

  /**
   * Resolves once this state (or a newer one) is on disk. A session saves on every turn and status change;
   * states that queue up behind a write in progress are coalesced, and only the newest is written.
   */
  save(record: SessionRecord): Promise<void> {
    const snapshot = JSON.stringify(record, null, 1);
    const busy = this.saving.get(record.id);
    if (!busy) return this.start(record, snapshot);
    if (busy.next) {
      busy.next.record = record;
      busy.next.snapshot = snapshot;
      return busy.next.done;
    }
    const next: NonNullable<Saving['next']> = { record, snapshot, done: Promise.resolve() };
    next.done = busy.current.catch(() => undefined).then(() => {
      busy.next = undefined;
      return this.start(next.record, next.snapshot);
    });
    busy.next = next;
    return next.done;
  }

  private start(record: SessionRecord, snapshot: string): Promise<void> {
    const entry: Saving = { current: this.write(record, snapshot) };
    this.saving.set(record.id, entry);
    void entry.current.catch(() => undefined).then(() => {
      if (this.saving.get(record.id) === entry && !entry.next) this.saving.delete(record.id);
    });
    return entry.current;
  }

  /** Resolves once every save of the session asked for so far is on disk (or has failed). */
  async saved(id: string): Promise<void> {
    const busy = this.saving.get(id);
    await (busy?.next?.done ?? busy?.current)?.catch(() => undefined);
  }

  /** Waits for every pending save (host shutdown). */
  async flush(): Promise<void> {
    while (this.saving.size) await Promise.allSettled([...this.saving.values()].map(e => e.next?.done ?? e.current));
  }

  private async write(record: SessionRecord, snapshot: string): Promise<void> {
    const p = this.paths(record.repo, record.id);
    const tmp = `${p.record}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
    if (!this.made.has(p.dir)) await makeDir(p.dir);
    try {
      await fs.writeFile(tmp, snapshot);
    } catch (err) {
      // The folder went away (a discarded session, a cleaned home): make it again, as the first save did.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        // A full disk leaves the file made and empty: it is not left beside the record.
        await fs.rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      }
      await makeDir(p.dir);
      await fs.writeFile(tmp, snapshot);
    }
    this.made.add(p.dir);
    await fs.rename(tmp, p.record);
    const st = await fs.stat(p.record).catch(() => undefined);
    if (st) this.mtimes.set(p.record, st.mtimeMs);
    await this.rememberRepo(record.repo);
  }

  /** Every session of a repository, as on disk. Unreadable records are reported, not fatal. */
  async loadRepo(repo: string, onError: (msg: string) => void): Promise<SessionRecord[]> {
    const dir = this.home.sessionsDir(repo);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const out: SessionRecord[] = [];
    for (const name of names) {
      const file = path.join(dir, name, 'session.json');
      try {
        const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
        this.mtimes.set(file, st.mtimeMs);
        out.push(parseRecord(text, file));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError(skipping(file, err));
      }
    }
    return out;
  }

  /** One session's record as on disk now; undefined when it is gone. */
  async read(repo: string, id: string): Promise<SessionRecord | undefined> {
    const file = this.paths(repo, id).record;
    try {
      const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
      this.mtimes.set(file, st.mtimeMs);
      return parseRecord(text, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Records that appeared or changed on disk since this store last read or wrote them. Closed sessions
   * (`isClosed`: merged or discarded) pile up over months and rarely change again (a merged one may still be
   * discarded elsewhere), so they are looked at only every CLOSED_EVERY calls: a poll costs what is open.
   */
  async changedSince(repo: string, onError: (msg: string) => void, isClosed: (id: string) => boolean = () => false): Promise<SessionRecord[]> {
    const dir = this.home.sessionsDir(repo);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const polls = this.polls.get(repo) ?? 0;
    this.polls.set(repo, polls + 1);
    const all = polls % CLOSED_EVERY === 0;
    const out: SessionRecord[] = [];
    for (const name of names) {
      if (!all && isClosed(name)) continue;
      const file = path.join(dir, name, 'session.json');
      const st = await fs.stat(file).catch(() => undefined);
      if (!st || this.mtimes.get(file) === st.mtimeMs) continue;
      try {
        out.push(parseRecord(await fs.readFile(file, 'utf8'), file));
        this.mtimes.set(file, st.mtimeMs);
      } catch (err) {
        onError(skipping(file, err));
      }
    }
    return out;
  }

  /** Repositories that have sessions on this machine (for `switchyard sessions` without --repo). */
  async knownRepos(): Promise<string[]> {
    const names = await fs.readdir(this.home.reposDir).catch(() => [] as string[]);
    const repos: string[] = [];
    for (const name of names) {
      try {
        const meta = JSON.parse(await fs.readFile(path.join(this.home.reposDir, name, 'repo.json'), 'utf8')) as { root?: unknown };
        if (typeof meta.root === 'string') repos.push(meta.root);
      } catch {
        // a folder without metadata is not a repository we know
      }
    }
    return repos;
  }

  private async rememberRepo(repo: string): Promise<void> {
    if (this.remembered.has(repo)) return;
    const file = path.join(this.home.repoDir(repo), 'repo.json');
    if (!existsSync(file)) {
      await makeDir(path.dirname(file));
      await fs.writeFile(file, JSON.stringify({ root: repo }));
    }
    this.remembered.add(repo);
  }
}

/** A record that did not load, said once by its file (parseRecord's own messages already start with it). */
function skipping(file: string, err: unknown): string {
  const message = (err as Error).message;
  return `Skipping session ${file}: ${message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message}`;
}
