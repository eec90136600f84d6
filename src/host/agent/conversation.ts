// The conversation an agent resends every turn (store: false), kept in the Responses API's input-item
// shape. It is only ever appended to, and persisted line by line, so the prompt prefix is byte-stable for
// the life of the session, across pauses and host restarts.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makeDir } from '../util/makeDir';

export type ConversationItem =
  | { type: 'message'; role: 'user' | 'developer'; content: string }
  | { type: 'message'; role: 'assistant'; content: { type: 'output_text'; text: string }[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string };

export class Conversation {
  private items: ConversationItem[] = [];
  /** Bytes of the items' JSON, kept as they are added: the prompt's size without encoding it each turn. */
  private bytes = 0;
  private writing: Promise<void> = Promise.resolve();
  private handle: fs.FileHandle | undefined;
  private failure: Error | undefined;

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<Conversation> {
    const c = new Conversation(file);
    const raw = await fs.readFile(file).catch(() => Buffer.alloc(0));
    // A crash mid-append leaves a tail without its newline: an item never acknowledged. It is cut off
    // the file too, or the next append would run into it and make that line unreadable.
    const end = raw.lastIndexOf(0x0a) + 1;
    if (end < raw.length) await fs.truncate(file, end);
    const lines = raw.subarray(0, end).toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]) continue;
      try {
        c.items.push(JSON.parse(lines[i]) as ConversationItem);
      } catch {
        throw new Error(`${file}: line ${i + 1} is not valid JSON`);
      }
      c.bytes += Buffer.byteLength(lines[i]);
    }
    return c;
  }

  get all(): readonly ConversationItem[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  /** The UTF-8 size of the items as JSON (one encoding each, as persisted). */
  get jsonBytes(): number {
    return this.bytes;
  }

  /** Appends and persists; resolves when on disk, rejects if this or an earlier queued write failed. */
  async append(...items: ConversationItem[]): Promise<void> {
    this.queue(...items);
    await this.saved();
  }

  /** Resolves when every item so far is written; rejects if a write failed. */
  async saved(): Promise<void> {
    await this.writing;
    if (this.failure) throw this.failure;
  }

  /** Appends now and writes in order in the background; throws if an earlier write has failed. */
  queue(...items: ConversationItem[]): void {
    if (this.failure) throw this.failure;
    if (!items.length) return;
    this.items.push(...items);
    const text = items.map(i => JSON.stringify(i)).join('\n') + '\n';
    this.bytes += Buffer.byteLength(text) - items.length;
    this.writing = this.writing.then(async () => {
      // Nothing is written after a failed write: the file stays a prefix of the conversation, never one
      // with a hole (an output whose call is missing would make every resumed request invalid).
      if (this.failure) return;
      try {
        this.handle ??= await this.openForAppend();
        // writeFile writes every byte (write() may write part of it); the file is opened to append.
        await this.handle.writeFile(text);
      } catch (err) {
        this.failure ??= new Error(`Could not save the conversation to ${this.file}: ${(err as Error).message}`);
      }
    });
  }

  private async openForAppend(): Promise<fs.FileHandle> {
    await makeDir(path.dirname(this.file));
    return fs.open(this.file, 'a');
  }

  /** Closes the file (the session's run ended). */
  async close(): Promise<void> {
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  /**
   * Compaction only: the whole conversation is rewritten at once (temp file + rename), the one time the
   * prefix changes on purpose.
   */
  replace(items: ConversationItem[]): Promise<void> {
    this.items = [...items];
    const text = items.map(i => JSON.stringify(i)).join('\n') + '\n';
    this.bytes = Buffer.byteLength(text) - items.length;
    this.writing = this.writing.then(async () => {
      await this.handle?.close();
      this.handle = undefined;
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text);
      await fs.rename(tmp, this.file);
    });
    return this.writing;
  }

  /** Calls whose output is not in the conversation yet (the host stopped while they ran). */
  unansweredCalls(): { call_id: string; name: string }[] {
    const answered = new Set(this.items.flatMap(i => (i.type === 'function_call_output' ? [i.call_id] : [])));
    return this.items.flatMap(i => (i.type === 'function_call' && !answered.has(i.call_id) ? [{ call_id: i.call_id, name: i.name }] : []));
  }

  /** Model turns so far (an assistant message or a run of calls counts once). */
  modelTurns(): number {
    let turns = 0;
    let inTurn = false;
    for (const i of this.items) {
      const isModel = i.type === 'function_call' || (i.type === 'message' && i.role === 'assistant');
      if (isModel && !inTurn) turns++;
      inTurn = isModel;
    }
    return turns;
  }
}
