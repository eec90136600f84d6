// The usage ledger: an append-only JSONL file shared by every process on the machine, and its rollups.
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import type { UsageRecord } from '../../protocol/records';
import type { ReportGroup, ReportRow } from '../../protocol/spend';
import { GroupCommit } from './groupCommit';
import { completeLines, decodeLine, encodeLine, LedgerRecordError, recordProblem } from './lineCodec';
import { monthView, type MonthView } from './monthView';
import { PendingUsage } from './pendingUsage';
import { report } from './report';
import { Rollups } from './rollups';
import { loadSnapshot, removeOrphanTemps, saveSnapshot } from './snapshot';
import { makeDir } from '../util/makeDir';

export type LedgerLog = (level: 'info' | 'warn', message: string) => void;

export interface LedgerOptions {
  log?: LedgerLog;
  /**
   * Save a rollup snapshot after this many newly read records, at most every 30 s (serialising big
   * rollups blocks for a moment), and at close. Default 20,000; 0: only at close.
   */
  snapshotEvery?: number;
  /** How often watch() polls in case a file-change event is missed. Default 1,000 ms. */
  pollMs?: number;
}

/**
 * `records`: every record newly read, from any process. `unannounced`: those not appended by this ledger
 * (so not already counted in `pending` before they were read back).
 */
export type RecordsListener = (records: readonly UsageRecord[], unannounced: readonly UsageRecord[]) => void;

export interface Disposable {
  dispose(): void;
}

export class LedgerClosedError extends Error {
  override readonly name = 'LedgerClosedError';
  constructor() {
    super('the ledger is closed');
  }
}

export const LEDGER_FILE = 'usage.jsonl';
const READ_CHUNK = 1 << 20;
// Doubles can only come from a caller retrying an append whose write failed part-way; they land close together.
const DEDUPE_WINDOW = 50_000;
const MIN_SNAPSHOT_INTERVAL_MS = 30_000;

export class Ledger {
  private rollupsValue: Rollups;
  private offsetValue: number;
  private readonly listeners = new Set<RecordsListener>();
  private readonly pendingValue = new PendingUsage();
  private readonly recentIds = new Set<string>();
  /** The same ids in arrival order, as a ring: evicting the oldest is O(1) (a Set's first key is not). */
  private readonly recentRing: (string | undefined)[] = new Array(DEDUPE_WINDOW);
  private ringNext = 0;
  private readonly writer: GroupCommit;
  private chain: Promise<unknown> = Promise.resolve();
  private sinceSnapshot = 0;
  private lastSnapshotAt = 0;
  private snapshotting: Promise<void> | null = null;
  private watcher: { fs: FSWatcher | null; poll: NodeJS.Timeout; users: number } | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly file: string,
    private appendHandle: fsp.FileHandle,
    private readHandle: fsp.FileHandle,
    private readonly opts: Required<LedgerOptions>,
    start: { rollups: Rollups; offset: number; endsMidLine: boolean },
  ) {
    this.rollupsValue = start.rollups;
    this.offsetValue = start.offset;
    const applyWritten = () => this.serial(() => this.readNew(true)).then(() => undefined, e => this.warn(`ledger read failed: ${(e as Error).message}`));
    this.writer = new GroupCommit(appendHandle, applyWritten, start.endsMidLine);
  }

  static async open(dir: string, options: LedgerOptions = {}): Promise<Ledger> {
    const opts: Required<LedgerOptions> = { log: () => undefined, snapshotEvery: 20_000, pollMs: 1_000, ...options };
    await makeDir(dir);
    const file = path.join(dir, LEDGER_FILE);
    const existed = await fsp.access(file).then(() => true, () => false);
    const appendHandle = await fsp.open(file, 'a');
    if (!existed) await syncDir(dir);
    const readHandle = await fsp.open(file, 'r');
    const warn = (m: string) => opts.log('warn', m);
    const snap = await loadSnapshot(dir, readHandle, warn);
    const endsMidLine = await lastByteIsNotNewline(readHandle);
    const ledger = new Ledger(dir, file, appendHandle, readHandle, opts, {
      rollups: snap?.rollups ?? new Rollups(),
      offset: snap?.offset ?? 0,
      endsMidLine,
    });
    await ledger.serial(() => ledger.readNew(false));
    if (endsMidLine) {
      const { size } = await readHandle.stat();
      warn(`ledger ends with ${size - ledger.offset} bytes of an unfinished line at offset ${ledger.offset} (a writer stopped mid-append); it is skipped and the next record starts on a new line`);
    }
    if (!snap && ledger.rollups.records > 0) {
      opts.log('info', `ledger rollups rebuilt from ${ledger.rollups.records} records`);
      await ledger.snapshot();
    }
    void removeOrphanTemps(dir);
    return ledger;
  }

  /** Totals by session, day, month, model and tier; replaced (not mutated) only if the ledger is rebuilt. */
  get rollups(): Rollups {
    return this.rollupsValue;
  }

  /** Bytes of the ledger file read and applied so far. */
  get offset(): number {
    return this.offsetValue;
  }

  /** Records appended here and not yet in the rollups (counted by what the user sees, not by budgets). */
  get pending(): PendingUsage {
    return this.pendingValue;
  }

  /**
   * Resolves once the record is durable (fsync'ed) and applied to the rollups. Until then it is in
   * `pending`, from the moment this returns.
   */
  append(rec: UsageRecord): Promise<void> {
    if (this.closed) return Promise.reject(new LedgerClosedError());
    const problem = recordProblem(rec);
    if (problem) return Promise.reject(new LedgerRecordError(`refusing to write an invalid usage record: ${problem}`));
    this.pendingValue.add(rec);
    return this.writer.write(encodeLine(rec)).catch((e: unknown) => {
      this.pendingValue.settle(rec.id);
      throw e;
    });
  }

  /** Reads what other processes (and this one) appended since the last read; returns the new records. */
  catchUp(): Promise<UsageRecord[]> {
    if (this.closed) return Promise.reject(new LedgerClosedError());
    return this.serial(() => this.readNew(true));
  }

  /** Called with every batch of new records, from this process or others (the latter once watch() runs). */
  onRecords(cb: RecordsListener): Disposable {
    this.listeners.add(cb);
    return { dispose: () => void this.listeners.delete(cb) };
  }

  /** Notices other processes' appends (file events, plus polling in case an event is missed). */
  watch(): Disposable {
    if (!this.watcher) {
      const poke = () => void (this.closed ? undefined : this.catchUp().catch(e => this.warn(`ledger read failed: ${(e as Error).message}`)));
      let fsw: FSWatcher | null = null;
      try {
        fsw = fsWatch(this.file, { persistent: false }, poke);
        fsw.on('error', () => undefined);
      } catch {
        // Some file systems (network mounts) cannot be watched: polling alone covers them.
      }
      const poll = setInterval(poke, this.opts.pollMs);
      poll.unref();
      this.watcher = { fs: fsw, poll, users: 0 };
    }
    const w = this.watcher;
    w.users++;
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        if (--w.users === 0 && this.watcher === w) this.stopWatching();
      },
    };
  }

  monthView(month: string, topSessions?: number): MonthView {
    return monthView(this.rollupsValue, month, topSessions);
  }

  report(by: ReportGroup, since?: string, labelFor?: (key: string) => string): ReportRow[] {
    return report(this.rollupsValue, by, since, labelFor);
  }

  /** Saves the rollups with the offset they cover (normally done for you periodically and at close). */
  snapshot(): Promise<void> {
    return this.serial(() => this.saveSnapshotNow());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    await this.writer.idle();
    await this.serial(async () => {
      await this.readNew(true);
      if (this.sinceSnapshot > 0) await this.saveSnapshotNow();
    }).catch(e => this.warn(`ledger close: ${(e as Error).message}`));
    await this.snapshotting;
    await this.appendHandle.close();
    await this.readHandle.close();
  }

  private stopWatching(): void {
    if (!this.watcher) return;
    this.watcher.fs?.close();
    clearInterval(this.watcher.poll);
    this.watcher = null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async readNew(collect: boolean): Promise<UsageRecord[]> {
    const size = await this.rebuildIfReplaced();
    const records: UsageRecord[] = [];
    const unannounced: UsageRecord[] = [];
    let applied = 0;
    let carry = Buffer.alloc(0);
    let base = this.offsetValue;
    let pos = this.offsetValue;
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(0, size - pos)));
    while (pos < size) {
      const { bytesRead } = await this.readHandle.read(chunk, 0, Math.min(chunk.length, size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let consumed = 0;
      for (const { line, end } of completeLines(data)) {
        const rec = this.decode(line, base + consumed);
        consumed = end;
        if (!rec) continue;
        // In the same step as the rollups, so nothing ever counts the record twice.
        this.rollupsValue.apply(rec);
        const wasPending = this.pendingValue.settle(rec.id);
        applied++;
        if (collect) records.push(rec);
        if (collect && !wasPending) unannounced.push(rec);
      }
      base += consumed;
      // Copy: `chunk` is reused by the next read.
      carry = Buffer.from(data.subarray(consumed));
    }
    this.offsetValue = base;
    if (applied) this.afterApply(applied, records, unannounced);
    return records;
  }

  private decode(line: Buffer, at: number): UsageRecord | null {
    if (line.length === 0) return null;
    const d = decodeLine(line);
    if (!d.ok) {
      this.warn(`ledger: skipped a damaged line of ${line.length} bytes at offset ${at} (${d.reason})`);
      return null;
    }
    if (d.skippedBytes) this.warn(`ledger: skipped ${d.skippedBytes} bytes of a torn record at offset ${at}`);
    const id = d.record.id;
    if (this.recentIds.has(id)) {
      this.warn(`ledger: skipped a second copy of record ${id} at offset ${at}`);
      return null;
    }
    const evicted = this.recentRing[this.ringNext];
    if (evicted !== undefined) this.recentIds.delete(evicted);
    this.recentRing[this.ringNext] = id;
    this.ringNext = (this.ringNext + 1) % DEDUPE_WINDOW;
    this.recentIds.add(id);
    return d.record;
  }

  private afterApply(applied: number, records: UsageRecord[], unannounced: UsageRecord[]): void {
    this.sinceSnapshot += applied;
    if (records.length) {
      for (const cb of this.listeners) {
        try {
          cb(records, unannounced);
        } catch (e) {
          this.warn(`ledger listener failed: ${(e as Error).message}`);
        }
      }
    }
    const due = this.opts.snapshotEvery > 0 && this.sinceSnapshot >= this.opts.snapshotEvery && Date.now() - this.lastSnapshotAt >= MIN_SNAPSHOT_INTERVAL_MS;
    if (due && !this.snapshotting && !this.closed) {
      this.snapshotting = this.snapshot()
        .catch(e => this.warn(`ledger snapshot failed: ${(e as Error).message}`))
        .finally(() => (this.snapshotting = null));
    }
  }

  private async saveSnapshotNow(): Promise<void> {
    const applied = this.sinceSnapshot;
    await saveSnapshot(this.dir, this.readHandle, this.offsetValue, this.rollupsValue);
    this.sinceSnapshot -= applied;
    this.lastSnapshotAt = Date.now();
  }

  /**
   * The ledger was truncated, or replaced (deleted, restored from a backup) by something else than an
   * append: reopen it and rebuild the rollups from what is there now. Returns the size to read up to.
   */
  private async rebuildIfReplaced(): Promise<number> {
    const [onDisk, ours] = await Promise.all([fsp.stat(this.file).catch(() => null), this.readHandle.stat()]);
    const replaced = onDisk === null || onDisk.ino !== ours.ino || onDisk.dev !== ours.dev;
    if (!replaced && ours.size >= this.offsetValue) return ours.size;
    this.warn(`ledger ${this.file} was ${replaced ? 'replaced or deleted' : 'truncated'} by another program; rebuilding its rollups`);
    if (replaced) {
      const oldAppend = this.appendHandle;
      const oldRead = this.readHandle;
      this.appendHandle = await fsp.open(this.file, 'a');
      this.readHandle = await fsp.open(this.file, 'r');
      this.writer.replaceFile(this.appendHandle, await lastByteIsNotNewline(this.readHandle));
      void oldRead.close().catch(() => undefined);
      void this.writer.idle().then(() => oldAppend.close()).catch(() => undefined);
    }
    this.rollupsValue = new Rollups();
    this.offsetValue = 0;
    this.recentIds.clear();
    this.recentRing.fill(undefined);
    this.ringNext = 0;
    this.sinceSnapshot = 0;
    return (await this.readHandle.stat()).size;
  }

  private warn(message: string): void {
    this.opts.log('warn', message);
  }
}

async function lastByteIsNotNewline(file: fsp.FileHandle): Promise<boolean> {
  const { size } = await file.stat();
  if (size === 0) return false;
  const b = Buffer.alloc(1);
  await file.read(b, 0, 1, size - 1);
  return b[0] !== 0x0a;
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new file's directory entry durable; not supported on every platform.
  const d = await fsp.open(dir, 'r').catch(() => null);
  await d?.sync().catch(() => undefined);
  await d?.close();
}
