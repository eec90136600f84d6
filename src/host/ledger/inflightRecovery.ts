// Requests of processes that died mid-request, recorded after all. Their journals (inflightJournal.ts)
// hold a note for each request they had sent and not yet recorded; each note already is the estimated
// record the request gets. Under the budget lock, every note whose record is not in the ledger is
// appended, once, then the journal goes. The same lock orders this before any budget decision, so the
// headroom a dead process's lease held is never handed out before its spend is counted.
import type { Dirent } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { UsageRecord } from '../../protocol/records';
import { isThisProcess } from '../util/fileLock';
import { stillThere, type LastBeats } from '../util/heartbeats';
import { ledgerHoldsRecord } from './findRecord';
import { journalOwner, parseJournal, type JournalOwner } from './inflightJournal';
import type { Disposable, Ledger } from './ledger';

export interface InflightRecoveryOptions {
  ledger: Ledger;
  /** The journals' folder (`<ledger>/inflight`). */
  dir: string;
  /** When hosts last beat: whether a journal's writer without a start time, or on another machine, is still there. */
  beats: LastBeats;
  /** This process's host id: its own journals, told apart from a dead predecessor's with the same pid. */
  hostId?: string;
  /** Runs fn under the cross-process budget lock (BudgetKeeper.exclusive). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  log(level: 'warn', message: string): void;
  /** Records appended for dead processes' requests (not told through the ledger's listeners: this process appended them). */
  onRecovered?(records: readonly UsageRecord[]): void;
}

// Only a power cut mid-create leaves a journal without its owner line; one this old is not being written.
const HEADLESS_GRACE_MS = 60_000;
const OWNER_BYTES = 1024;

export class InflightRecovery {
  /** Journal file name → its owner, read once (the owner line never changes). */
  private readonly owners = new Map<string, JournalOwner>();
  private sweeping: Promise<number> | undefined;

  constructor(private readonly o: InflightRecoveryOptions) {}

  /**
   * Looks for journals of dead processes without the lock, and takes it only when there are: this runs
   * at start and then every second. Resolves with the number of records appended.
   */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Resolves once a sweep under way (if any) has finished. */
  async settled(): Promise<void> {
    await this.sweeping?.catch(() => undefined);
  }

  /** Sweeps every `everyMs` until disposed; failures are logged and tried again at the next. */
  watch(everyMs = 1000): Disposable {
    const timer = setInterval(() => void this.sweep().catch(err => this.o.log('warn', `recording requests of ended processes: ${(err as Error).message}`)), everyMs);
    timer.unref();
    return { dispose: () => clearInterval(timer) };
  }

  /**
   * With the budget lock held by the caller: appends the open notes of every dead process's journal. Never
   * rejects: it runs before every budget decision, which a folder it cannot read must not hold up (what it
   * could not do now is tried again at the next sweep).
   */
  async recoverHeld(): Promise<number> {
    const recovered: UsageRecord[] = [];
    let dead: string[];
    try {
      dead = await this.deadJournals();
    } catch (err) {
      this.o.log('warn', `looking for requests in flight of ended processes in ${this.o.dir}: ${(err as Error).message}`);
      return 0;
    }
    for (const name of dead) {
      try {
        recovered.push(...(await this.recoverJournal(name)));
      } catch (err) {
        // One unreadable journal must not hold up budget decisions; it is tried again at the next sweep.
        this.o.log('warn', `recording the requests in flight of ${path.join(this.o.dir, name)}: ${(err as Error).message}`);
      }
    }
    if (recovered.length) this.o.onRecovered?.(recovered);
    return recovered.length;
  }

  private async sweepOnce(): Promise<number> {
    if (!(await this.deadJournals()).length) return 0;
    return this.o.exclusive(() => this.recoverHeld());
  }

  private async recoverJournal(name: string): Promise<UsageRecord[]> {
    const file = path.join(this.o.dir, name);
    const text = await fsp.readFile(file, 'utf8').catch(ignoreMissing);
    if (text === undefined) return [];
    const { open } = parseJournal(text);
    // Its record may have reached the ledger before the process died (killed between the append and the
    // note's end): the ledger is searched from where it stood when the request was noted.
    const missing: UsageRecord[] = [];
    for (const note of open) if (!(await ledgerHoldsRecord(this.o.ledger.file, note.record.id, note.from))) missing.push(note.record);
    await Promise.all(missing.map(r => this.o.ledger.append(r)));
    // Only once every record is durable: a process dying before this leaves the journal to the next, whose
    // search then finds these records.
    await fsp.unlink(file).catch(ignoreMissing);
    this.owners.delete(name);
    return missing;
  }

  /** Names of journals whose owner has ended (or that never got an owner line and are old). */
  private async deadJournals(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(this.o.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const dead: string[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      if (!e.isFile() || !e.name.endsWith('.jsonl')) continue;
      seen.add(e.name);
      const owner = this.owners.get(e.name) ?? (await this.readOwner(e.name).catch(err => {
        this.o.log('warn', `reading the owner of ${path.join(this.o.dir, e.name)}: ${(err as Error).message}`);
        return 'not-yet' as const;
      }));
      if (owner === 'not-yet') continue;
      const mine = owner !== 'never' && (owner.hostId !== undefined && this.o.hostId !== undefined
        ? owner.hostId === this.o.hostId
        : isThisProcess(owner));
      if (owner === 'never' || (!mine && !stillThere(owner, this.o.beats))) dead.push(e.name);
    }
    for (const name of this.owners.keys()) if (!seen.has(name)) this.owners.delete(name);
    return dead;
  }

  private async readOwner(name: string): Promise<JournalOwner | 'not-yet' | 'never'> {
    const file = path.join(this.o.dir, name);
    let head: string;
    let mtimeMs: number;
    try {
      const handle = await fsp.open(file, 'r');
      try {
        const buf = Buffer.alloc(OWNER_BYTES);
        const { bytesRead } = await handle.read(buf, 0, OWNER_BYTES, 0);
        head = buf.toString('utf8', 0, bytesRead);
        mtimeMs = (await handle.stat()).mtimeMs;
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'not-yet';
      throw err;
    }
    const owner = journalOwner(head);
    if (owner) {
      this.owners.set(name, owner);
      return owner;
    }
    return Date.now() - mtimeMs > HEADLESS_GRACE_MS ? 'never' : 'not-yet';
  }
}

function ignoreMissing(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
}
