// A session's transcript: persisted as JSONL (so it survives reloads and crashes) and streamed live to
// whoever watches it. Streaming deltas are shown live but never persisted: the final message is.
// Every persisted event has an index; a live batch says the index of its first persisted event, so a
// client that has read up to N drops what it already has.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TranscriptEvent } from '../../protocol/records';
import type { TranscriptResult } from '../../protocol/sessions';
import type { SessionStatus } from '../../protocol/types';
import { makeDir } from '../util/makeDir';

export type TranscriptListener = (from: number, events: TranscriptEvent[]) => void;

const FLUSH_MS = 100;
/** Statuses an answer streams on through. */
const STREAMING: ReadonlySet<SessionStatus> = new Set<SessionStatus>(['queued', 'running', 'waiting']);

export class TranscriptLog {
  private count = 0;
  private opened: Promise<void> | undefined;
  private pending: TranscriptEvent[] = [];
  private live: TranscriptEvent[] = [];
  private liveFrom = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private listener: TranscriptListener | undefined;
  private dirMade = false;
  /** Lines a write could not store (a full disk, a folder gone read-only), tried again with the next one. */
  private unwritten = '';
  /** The file's length as this log wrote it: where a failed write is cut back to. */
  private bytes = 0;
  /** The answer streaming now, as far as it came (watched or not): for a watcher that starts mid-answer. */
  private streaming: { turn: number; text: string } | undefined;

  constructor(
    private readonly file: string,
    /** Told once when writes start failing, not at every retry; the session goes on either way. */
    private readonly onWriteError: (err: Error) => void = () => {},
  ) {}

  /** Counts what is already on disk; must finish before the first append. */
  open(): Promise<void> {
    this.opened ??= fs.readFile(this.file, 'utf8').then(
      text => {
        this.count = text.split('\n').filter(Boolean).length;
        this.bytes = Buffer.byteLength(text);
      },
      () => {
        this.count = 0;
      },
    );
    return this.opened;
  }

  /** Someone watches the session live (a transcript panel is open). */
  get watched(): boolean {
    return this.listener !== undefined;
  }

  setListener(listener: TranscriptListener | undefined): void {
    this.listener = listener;
    this.live = [];
  }

  /**
   * The model streamed `delta` of turn `turn`'s answer. Kept whether or not anyone watches (one string
   * appended to; no event is made unwatched), so a transcript opened mid-answer shows it from its start.
   */
  streamed(turn: number, delta: string): void {
    if (this.streaming?.turn === turn) this.streaming.text += delta;
    else this.streaming = { turn, text: delta };
  }

  append(event: TranscriptEvent): void {
    this.endsStreaming(event);
    // Deltas are for whoever watches the session live, and never stored.
    if (event.kind === 'assistant-delta' && !this.listener) return;
    if (this.listener) {
      if (this.live.length === 0) this.liveFrom = this.count + this.pending.length;
      this.live.push(event);
    }
    if (event.kind !== 'assistant-delta') this.pending.push(event);
    this.schedule();
  }

  /** Persisted events after index `after`, the index to ask for next, and the answer streaming now. */
  async read(after: number): Promise<TranscriptResult> {
    await this.open();
    // Taken in the tick the flush below sends the live batch in: the deltas in the text were sent before this
    // answer (a watcher that is loading drops them), and those after it are sent after: none shows twice.
    const s = this.streaming;
    const streaming = s ? { kind: 'assistant-delta' as const, ts: new Date().toISOString(), turn: s.turn, delta: s.text } : undefined;
    await this.flush();
    const all = await this.parsed();
    return { events: all.slice(after), next: all.length, ...(streaming ? { streaming } : {}) };
  }

  /** The answer ends with itself, a retry's warning (the partial answer is discarded), a hint, or the run's end, as the view's model ends it. */
  private endsStreaming(e: TranscriptEvent): void {
    if (e.kind === 'assistant' || e.kind === 'user' || (e.kind === 'notice' && e.level !== 'info') || (e.kind === 'status' && !STREAMING.has(e.status))) {
      this.streaming = undefined;
    }
  }

  async readAll(): Promise<TranscriptEvent[]> {
    await this.open();
    await this.flush();
    return this.parsed();
  }

  private async parsed(): Promise<TranscriptEvent[]> {
    const text = await fs.readFile(this.file, 'utf8').catch(() => '');
    const events: TranscriptEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as TranscriptEvent);
      } catch {
        // a line torn by a crash: the rest of the transcript is still worth showing
        events.push({ kind: 'notice', ts: new Date(0).toISOString(), level: 'warning', text: '(an unreadable transcript line was skipped)' });
      }
    }
    return events;
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.emitLive();
    if (this.pending.length || this.unwritten) {
      const batch = this.pending;
      this.pending = [];
      this.count += batch.length;
      const text = batch.length ? batch.map(e => JSON.stringify(e)).join('\n') + '\n' : '';
      this.writing = this.writing.then(() => this.write(text));
    }
    await this.writing;
  }

  /** Never rejects: the chain of writes stays usable after a failure, and the timer's flush has nobody to tell. */
  private async write(text: string): Promise<void> {
    const all = this.unwritten + text;
    try {
      await this.appendText(all);
      this.unwritten = '';
      this.bytes += Buffer.byteLength(all);
    } catch (err) {
      if (!this.unwritten) this.onWriteError(err as Error);
      this.unwritten = all;
      await this.cutPartial(all).catch(() => undefined);
    }
  }

  /**
   * A full disk may have taken part of a failed write: cut back to what was whole, so that the retry neither
   * doubles nor tears a line. Only what this write put there is cut (another process may have appended since
   * this log counted the file, when the session moved to it).
   */
  private async cutPartial(tried: string): Promise<void> {
    const size = (await fs.stat(this.file)).size;
    const mine = Buffer.from(tried);
    const extra = size - this.bytes;
    if (extra <= 0 || extra > mine.length) return;
    const file = await fs.open(this.file, 'r+');
    try {
      const found = Buffer.alloc(extra);
      await file.read(found, 0, extra, this.bytes);
      if (found.equals(mine.subarray(0, extra))) await file.truncate(this.bytes);
    } finally {
      await file.close();
    }
  }

  /** The folder is made on the first write, and again only if it has gone since (one syscall less per flush). */
  private async appendText(text: string): Promise<void> {
    if (!this.dirMade) {
      await makeDir(path.dirname(this.file));
      this.dirMade = true;
    }
    try {
      await fs.appendFile(this.file, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await makeDir(path.dirname(this.file));
      await fs.appendFile(this.file, text);
    }
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  private emitLive(): void {
    const events = this.live;
    this.live = [];
    if (events.length && this.listener) this.listener(this.liveFrom, events);
  }
}
