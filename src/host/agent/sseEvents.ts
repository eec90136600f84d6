// Reads a model's server-sent events straight off the response body, one await per network chunk. The
// SDK's own reader stacks four async iterators per event (bytes, lines, messages, JSON), and in a fleet's
// profile that stack and its garbage were the host's largest cost per streamed event. What a stream
// means is unchanged: the same fields per the SSE format, the same JSON, the same errors as the SDK's.
import { APIError } from 'openai';
import { LfDecoder } from '../util/lfDecoder';

/** One event's JSON payload; its `type` says what it is (the Responses API names every event). */
export type SseJson = Record<string, unknown>;

export class SseJsonError extends Error {
  override readonly name = 'SseJsonError';
}

/** The body failed while it was read (the connection cut mid-stream): not an answer of the server. */
export class SseReadError extends Error {
  override readonly name = 'SseReadError';
}

/**
 * Calls `onEvent` with each event's parsed `data`, in order, until it returns true (the caller has what it
 * wanted: the rest of the body is cancelled), `[DONE]` or the body ends. Returns whether `onEvent` said
 * it was done. An `error` event or a payload carrying `error` throws the SDK's APIError, as its reader does.
 */
export async function readSseJson(body: ReadableStream<Uint8Array>, headers: Headers, onEvent: (data: SseJson) => boolean): Promise<boolean> {
  const reader = body.getReader();
  const parser = new SseParser();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read().catch((err: unknown) => {
        throw new SseReadError(err instanceof Error ? err.message : String(err), { cause: err });
      });
      ended = done;
      const events = done ? parser.end() : parser.push(value);
      for (const e of events) {
        if (e.data === '[DONE]') return false;
        const data = parseJson(e.data);
        if (e.event === 'error') throw new APIError(undefined, data.error ?? data, undefined, headers);
        if (data.error) throw new APIError(undefined, data.error, undefined, headers);
        if (onEvent(data)) return true;
      }
      if (done) return false;
    }
  } finally {
    // Leaving early (done, an error, an exception in onEvent) releases the connection.
    if (!ended) void reader.cancel().catch(() => undefined);
  }
}

function parseJson(text: string): SseJson {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new SseJsonError('Error reading response: malformed server-sent event JSON.');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SseJsonError('Error reading response: a server-sent event is not a JSON object.');
  return v as SseJson;
}

export interface SseMessage {
  event: string | null;
  data: string;
}

/**
 * The SSE format's fields (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
 * lines end in CRLF, LF or CR; a blank line dispatches; `:` starts a comment; a field's value loses one
 * leading space; `data` lines join with LF; a message without data is not dispatched.
 */
export class SseParser {
  private readonly text = new LfDecoder();
  /** The start of a line whose end has not arrived yet. */
  private pending = '';
  private event: string | null = null;
  private data: string | undefined;

  push(chunk: Uint8Array): SseMessage[] {
    return this.lines(this.text.push(chunk), false);
  }

  /** The body ended: a last line without its line break still counts, an undispatched message does not. */
  end(): SseMessage[] {
    return this.lines(this.text.end(), true);
  }

  private lines(text: string, final: boolean): SseMessage[] {
    const buf = this.pending + text;
    this.pending = '';
    const out: SseMessage[] = [];
    let at = 0;
    for (let nl = buf.indexOf('\n', at); nl >= 0; nl = buf.indexOf('\n', at)) {
      this.line(buf.slice(at, nl), out);
      at = nl + 1;
    }
    const rest = buf.slice(at);
    if (final) {
      if (rest) this.line(rest, out);
    } else {
      this.pending = rest;
    }
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.data !== undefined) out.push({ event: this.event, data: this.data });
      this.event = null;
      this.data = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === 'data') this.data = this.data === undefined ? value : `${this.data}\n${value}`;
    else if (field === 'event') this.event = value;
    // `id` and `retry` matter to a reconnecting EventSource, not to one model response.
  }
}
