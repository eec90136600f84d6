// Appends from any number of callers, written as one write() and one fdatasync per batch.
import type { FileHandle } from 'node:fs/promises';

export class LedgerWriteError extends Error {
  override readonly name = 'LedgerWriteError';
}

interface Pending {
  bytes: Buffer;
  resolve: () => void;
  reject: (e: Error) => void;
}

const NEWLINE = Buffer.from('\n');
// Bounds one write's size (and the time a burst of appends waits for one fsync).
const MAX_BATCH_BYTES = 4 << 20;

/**
 * The file must be opened O_APPEND: each batch lands whole at the end of the file even with other
 * processes appending, because a single write() to a regular file is not interleaved with others.
 * Records queued while a batch is being written and synced go into the next batch.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;
  /** Set when the file may end inside a line (a writer died mid-line, or our own write failed). */
  private freshLine: boolean;

  constructor(
    private file: FileHandle,
    /** Runs after each durable batch, before its callers are told (to apply it to the rollups). */
    private readonly afterBatch: () => Promise<void>,
    fileEndsMidLine: boolean,
  ) {
    this.freshLine = fileEndsMidLine;
  }

  /** Resolves once the bytes are on disk (fdatasync), and after `afterBatch` ran for them. */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Points later batches at a reopened file (the old one was replaced under us). */
  replaceFile(file: FileHandle, endsMidLine: boolean): void {
    this.file = file;
    this.freshLine = endsMidLine;
  }

  /** Waits until everything queued so far is written (or has failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) await this.commit(this.takeBatch());
    } finally {
      // Cleared in the same turn as the last callers are resolved, before any of them can append
      // again: otherwise an append made from that continuation would wait on a finished drain.
      this.running = null;
    }
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.bytes.length <= MAX_BATCH_BYTES)) bytes += this.queue[n++]!.bytes.length;
    return this.queue.splice(0, n);
  }

  private async commit(batch: Pending[]): Promise<void> {
    const parts = batch.map(p => p.bytes);
    if (this.freshLine) parts.unshift(NEWLINE);
    try {
      await writeFully(this.file, Buffer.concat(parts));
      await this.file.datasync();
      this.freshLine = false;
    } catch (e) {
      this.freshLine = true;
      const err = new LedgerWriteError(`could not append ${batch.length} record(s) to the ledger: ${(e as Error).message}`, { cause: e });
      for (const p of batch) p.reject(err);
      return;
    }
    // The batch is durable whatever afterBatch does; it reports its own failures.
    await this.afterBatch().catch(() => undefined);
    for (const p of batch) p.resolve();
  }
}

async function writeFully(file: FileHandle, buf: Buffer): Promise<void> {
  let done = 0;
  // A regular file short-writes only when the disk is full or the process is being killed; the rest
  // then follows in the next write, and a reader skips the line if another writer got in between.
  while (done < buf.length) {
    const { bytesWritten } = await file.write(buf, done, buf.length - done, null);
    if (bytesWritten <= 0) throw new Error('the file accepted no bytes');
    done += bytesWritten;
  }
}
