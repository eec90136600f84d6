// Follows the shared ledger file from the extension host, so the benchmark knows when each usage record
// landed and can time how long the sidebar takes to show it. Reads only what was appended since the last
// read; a file event wakes it, and a slow poll covers events the file system drops.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { UsageRecord } from '../../src/protocol/records';
import { completeLines, decodeLine } from '../../src/host/ledger/lineCodec';

const POLL_MS = 200;

export class LedgerTail {
  private offset = 0;
  private rest = Buffer.alloc(0);
  private watcher: FSWatcher | undefined;
  private readonly poll: NodeJS.Timeout;

  /** @param from 'end' ignores what the file already holds */
  constructor(private readonly file: string, private readonly onRecord: (r: UsageRecord, at: number) => void, from: 'start' | 'end', private readonly now: () => number) {
    if (from === 'end' && existsSync(file)) this.offset = statSync(file).size;
    this.poll = setInterval(() => this.read(), POLL_MS);
    this.tryWatch();
  }

  private tryWatch(): void {
    if (this.watcher || !existsSync(this.file)) return;
    try {
      this.watcher = watch(this.file, { persistent: false }, () => this.read());
      this.watcher.on('error', () => undefined);
    } catch {
      // the poll still reads
    }
  }

  /** Reads what was appended; records are reported with the time they were seen. */
  read(): void {
    this.tryWatch();
    if (!existsSync(this.file)) return;
    const at = this.now();
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const chunk = Buffer.alloc(size - this.offset);
      const n = readSync(fd, chunk, 0, chunk.length, this.offset);
      this.offset += n;
      const data = Buffer.concat([this.rest, chunk.subarray(0, n)]);
      let used = 0;
      for (const { line, end } of completeLines(data)) {
        used = end;
        const d = decodeLine(line);
        if (d.ok) this.onRecord(d.record, at);
      }
      this.rest = Buffer.from(data.subarray(used));
    } finally {
      closeSync(fd);
    }
  }

  dispose(): void {
    clearInterval(this.poll);
    this.watcher?.close();
  }
}
