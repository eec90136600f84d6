// Requests in flight, written ahead. Before the gateway sends a request upstream it notes here the record
// the request gets if it is cut before anything streams (an estimate), and it ends the note once the real
// record is in the ledger, or once it knows the request never reached the provider. A process that dies
// mid-request (kill -9, a crash, a power cut) leaves its notes behind, and another process appends them
// to the ledger (inflightRecovery.ts): spent at the provider, so counted. One append-only file per process.
import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { UsageRecord } from '../../protocol/records';
import { currentProcess, isProcessIdentity, type ProcessIdentity } from '../util/fileLock';

/** The folder of the journals, under the ledger's. */
export const INFLIGHT_DIR = 'inflight';

/**
 * A journal's lines, one JSON object each: the owner first, then notes begun and ended. `from` is how far
 * the ledger had been read when the request was noted: its record, if it got in, lies after that.
 */
export type JournalLine = { owner: JournalOwner } | { begin: UsageRecord; from: number } | { end: string };

/** The process that writes a journal; `hostId` and `beats` (absent in older journals): its heartbeat (util/heartbeats.ts). */
export type JournalOwner = ProcessIdentity & { hostId?: string; beats?: boolean };

export interface BegunNote {
  record: UsageRecord;
  from: number;
}

export interface ParsedJournal {
  owner?: JournalOwner;
  /** Notes begun and not ended, in the order they were begun. */
  open: BegunNote[];
}

/** What the gateway writes: a note before sending, its end once nothing is left to recover. */
export interface RequestJournal {
  begin(record: UsageRecord): void;
  end(id: string): void;
}

export interface InflightJournalOptions {
  /** The journals' folder (`<ledger>/inflight`). */
  dir: string;
  /** This process's host id, so that others can tell from its heartbeat whether it is still there. */
  hostId?: string;
  /** Bytes of the ledger read so far (Ledger.offset). */
  ledgerOffset(): number;
  log(level: 'warn', message: string): void;
}

// A long-lived host writes two lines per request: past this size the journal starts a new file with only
// the notes still open, and removes the old one.
const ROTATE_BYTES = 1 << 20;
// Only a power cut loses what a dead process wrote (the kernel writes it out whatever becomes of the
// process), so a sync this long after a note, off the request path, is all a power cut needs.
const SYNC_AFTER_MS = 1000;

export class InflightJournal implements RequestJournal {
  private fd: number | undefined;
  private file: string | undefined;
  private bytes = 0;
  /** The open notes' lines, to carry them over when the file is rotated. */
  private readonly openLines = new Map<string, Buffer>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private newFile = false;
  /** A write failed part-way: the next one starts on a new line. */
  private torn = false;
  private failing = false;

  constructor(private readonly o: InflightJournalOptions) {}

  /** Notes open now (requests sent and not yet in the ledger). */
  get openCount(): number {
    return this.openLines.size;
  }

  /**
   * Notes a request about to be sent. Synchronous on purpose: it must be in the kernel before the request
   * can reach the provider, and an asynchronous write waits in libuv's thread pool behind the ledger's
   * fdatasyncs, where one small write() costs a few microseconds. It is not fsync'ed: a process that is
   * killed or crashes leaves its written pages to the kernel, which writes them out; only a power cut can
   * lose them, and the sync scheduled below narrows that to about a second.
   */
  begin(record: UsageRecord): void {
    const line = encode({ begin: record, from: this.o.ledgerOffset() });
    this.openLines.set(record.id, line);
    this.write(line);
  }

  /** The note's record is in the ledger, or nothing was spent: nothing is left to recover. */
  end(id: string): void {
    if (!this.openLines.delete(id)) return;
    this.write(encode({ end: id }));
    if (this.bytes > ROTATE_BYTES && !this.syncing) this.rotate();
  }

  /**
   * The process is going away. With no note open, the journal is removed; otherwise it stays for the next
   * process to recover (a record whose append failed, a request still out when the process stopped).
   */
  async close(): Promise<void> {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    await this.syncing;
    const { fd, file } = this;
    this.fd = this.file = undefined;
    if (fd === undefined || file === undefined) return;
    try {
      if (this.openLines.size === 0) unlinkSync(file);
      else await datasync(fd);
    } catch (err) {
      this.warn(`closing ${file}: ${(err as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }

  private write(line: Buffer): void {
    try {
      const fd = this.fd ?? this.create([]);
      const bytes = this.torn ? Buffer.concat([NEWLINE, line]) : line;
      this.torn = true;
      const written = writeSync(fd, bytes);
      if (written !== bytes.length) throw new Error(`wrote ${written} of ${bytes.length} bytes`);
      this.torn = false;
      this.bytes += bytes.length;
      this.failing = false;
      this.syncSoon();
    } catch (err) {
      // The request goes on all the same: the journal only matters if this process dies, and refusing
      // requests over it would stop every session on a full disk that the ledger may still write to.
      if (!this.failing) this.warn(`noting a request in flight in ${this.file ?? this.o.dir} failed: ${(err as Error).message}`);
      this.failing = true;
    }
  }

  /** Opens a new journal holding the owner line and `lines`; returns its descriptor. */
  private create(lines: Buffer[]): number {
    mkdirSync(this.o.dir, { recursive: true });
    const me = currentProcess();
    const file = path.join(this.o.dir, `${me.pid}-${randomBytes(4).toString('hex')}.jsonl`);
    const fd = openSync(file, 'ax');
    const head = Buffer.concat([encode({ owner: { ...me, ...(this.o.hostId ? { hostId: this.o.hostId, beats: true } : {}) } }), ...lines]);
    try {
      writeSync(fd, head);
    } catch (err) {
      closeSync(fd);
      unlinkSync(file);
      throw err;
    }
    this.fd = fd;
    this.file = file;
    this.bytes = head.length;
    this.newFile = true;
    return fd;
  }

  /** A new file with the open notes only; then the old one goes (a crash between leaves both, which recovery handles). */
  private rotate(): void {
    const old = { fd: this.fd, file: this.file };
    try {
      this.create([...this.openLines.values()]);
    } catch (err) {
      this.warn(`starting a new journal in ${this.o.dir} failed: ${(err as Error).message}`);
      return;
    }
    try {
      if (old.file) unlinkSync(old.file);
    } catch (err) {
      this.warn(`removing ${old.file}: ${(err as Error).message}`);
    }
    if (old.fd !== undefined) closeSync(old.fd);
  }

  private syncSoon(): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      const fd = this.fd;
      if (fd === undefined || this.syncing) return;
      const dirToo = this.newFile;
      this.newFile = false;
      this.syncing = datasync(fd)
        .then(() => (dirToo ? syncDir(this.o.dir) : undefined))
        .catch(err => this.warn(`syncing the requests in flight: ${(err as Error).message}`))
        .finally(() => (this.syncing = undefined));
    }, SYNC_AFTER_MS);
    this.syncTimer.unref();
  }

  private warn(message: string): void {
    this.o.log('warn', message);
  }
}

/** Reads a journal's text; lines that do not parse (a power cut mid-write) are skipped. */
export function parseJournal(text: string): ParsedJournal {
  let owner: JournalOwner | undefined;
  const open = new Map<string, BegunNote>();
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    let line: Partial<Record<'owner' | 'begin' | 'from' | 'end', unknown>>;
    try {
      line = JSON.parse(raw) as typeof line;
    } catch {
      continue;
    }
    if (isIdentity(line.owner)) owner ??= line.owner;
    else if (typeof line.end === 'string') open.delete(line.end);
    else if (typeof line.begin === 'object' && line.begin !== null && typeof line.from === 'number') {
      const record = line.begin as UsageRecord;
      if (typeof record.id === 'string') open.set(record.id, { record, from: line.from });
    }
  }
  return { owner, open: [...open.values()] };
}

/** The owner named by a journal's first line, if that line is complete. */
export function journalOwner(head: string): JournalOwner | undefined {
  const nl = head.indexOf('\n');
  if (nl < 0) return undefined;
  try {
    const line = JSON.parse(head.slice(0, nl)) as { owner?: unknown };
    return isIdentity(line.owner) ? line.owner : undefined;
  } catch {
    return undefined;
  }
}

const NEWLINE = Buffer.from('\n');

function encode(line: JournalLine): Buffer {
  return Buffer.from(JSON.stringify(line) + '\n');
}

function isIdentity(v: unknown): v is JournalOwner {
  const o = v as JournalOwner;
  return isProcessIdentity(v) && (o.hostId === undefined || typeof o.hostId === 'string') && (o.beats === undefined || typeof o.beats === 'boolean');
}

function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, err => (err ? reject(err) : resolve())));
}

async function syncDir(dir: string): Promise<void> {
  // Makes a new journal's directory entry durable; not supported on every platform.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    await datasync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
