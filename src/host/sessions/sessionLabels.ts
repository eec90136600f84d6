// Titles and repository names of sessions this process has not loaded. The ledger is shared by every
// repository under one home, so the Spend view and reports meet sessions of other folders, which only
// their records in the home can name. Titles never change, so each id is read from disk once; a miss (the
// record is gone) is tried again only after a while, and ids asked for together share one scan.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseRecord } from './sessionRecord';

export interface SessionLabel {
  title: string;
  /** The folder name of the session's repository. */
  repoName: string;
}

/** What the spend service needs: an answer now from what is known, and a way to wait for one. */
export interface SessionLabelLookup {
  /** The label when known; an id not looked up yet is looked up in the background (see `onFound`). */
  peek(id: string): SessionLabel | undefined;
  /** Resolves once every id given is known or known to be missing. */
  lookup(ids: Iterable<string>): Promise<void>;
}

export interface SessionLabelsOptions {
  /** The home's `repos` folder: `<repo key>/sessions/<id>/session.json` under it. */
  reposDir: string;
  /** Labels were found: whatever showed bare ids can show titles now. */
  onFound?: () => void;
  /** A missing record is looked for again after this long (default one minute). */
  missRetryMs?: number;
  now?: () => number;
}

const MISS_RETRY_MS = 60_000;

export class SessionLabels implements SessionLabelLookup {
  private readonly found = new Map<string, SessionLabel>();
  private readonly missedAt = new Map<string, number>();
  private queued = new Set<string>();
  private running: Promise<void> | undefined;
  private scanned = 0;

  constructor(private readonly o: SessionLabelsOptions) {}

  /** Scans of the home so far (the cache is what keeps this low). */
  get scans(): number {
    return this.scanned;
  }

  peek(id: string): SessionLabel | undefined {
    const label = this.found.get(id);
    if (label === undefined && this.due(id)) {
      this.queued.add(id);
      void this.drain();
    }
    return label;
  }

  lookup(ids: Iterable<string>): Promise<void> {
    for (const id of ids) if (!this.found.has(id) && this.due(id)) this.queued.add(id);
    return this.queued.size || this.running ? this.drain() : Promise.resolve();
  }

  private due(id: string): boolean {
    const missed = this.missedAt.get(id);
    return missed === undefined || this.now() - missed >= (this.o.missRetryMs ?? MISS_RETRY_MS);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private drain(): Promise<void> {
    this.running ??= this.run();
    return this.running;
  }

  private async run(): Promise<void> {
    // Ids asked for in the same tick (one update of the Spend view names several) share one scan.
    await null;
    let foundAny = false;
    try {
      while (this.queued.size) {
        const batch = this.queued;
        this.queued = new Set();
        if (await this.scan(batch)) foundAny = true;
      }
    } finally {
      this.running = undefined;
    }
    if (foundAny) this.o.onFound?.();
  }

  /** One listing per repository folder, one read per session found: the cost follows the ids, not the history. */
  private async scan(ids: Set<string>): Promise<boolean> {
    this.scanned++;
    const wanted = new Set([...ids].filter(id => !this.found.has(id)));
    let foundAny = false;
    const repos = await fs.readdir(this.o.reposDir).catch(() => [] as string[]);
    for (const repo of repos) {
      if (!wanted.size) break;
      const sessionsDir = path.join(this.o.reposDir, repo, 'sessions');
      // Names come from the listing, never from the ledger: a session id cannot point outside the home.
      const here = (await fs.readdir(sessionsDir).catch(() => [] as string[])).filter(name => wanted.has(name));
      for (const id of here) {
        const label = await readLabel(path.join(sessionsDir, id, 'session.json'));
        if (!label) continue;
        this.found.set(id, label);
        this.missedAt.delete(id);
        wanted.delete(id);
        foundAny = true;
      }
    }
    const at = this.now();
    for (const id of wanted) this.missedAt.set(id, at);
    return foundAny;
  }
}

async function readLabel(file: string): Promise<SessionLabel | undefined> {
  try {
    const record = parseRecord(await fs.readFile(file, 'utf8'), file);
    return { title: record.title, repoName: path.basename(record.repo) };
  } catch {
    // Gone or unreadable: the row keeps its id, as it did before anything was looked up.
    return undefined;
  }
}
