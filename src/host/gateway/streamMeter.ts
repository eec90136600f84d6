// Reads a model's server-sent events as they pass through (unchanged, chunk by chunk; usageChunkFilter.ts
// says the one exception), finding the few events that carry usage. Deltas, the bulk of a stream, are only measured, never parsed, so
// metering adds next to nothing per event.
import { responseActivity, type AgentItem, type Endpoint } from './requestView';
import { LfDecoder } from '../util/lfDecoder';

export interface StreamOutcome {
  /** The final response object (Responses) or the usage chunk (Chat); undefined when the stream was cut. */
  usage?: Record<string, unknown>;
  servedTier?: string;
  responseId?: string;
  /** Diagnostics the provider attached to the response (newer models), if any. */
  cacheDiagnostics?: unknown;
  completed: boolean;
  /** The response ended as failed (response.failed): its request is sent again, not a turn of its own. */
  failed?: boolean;
  /** Characters of streamed text and arguments, for an estimate when the stream is cut. */
  deltaChars: number;
  /** The model's text and calls, from the final response object (Responses streams and whole bodies). */
  output?: AgentItem[];
  error?: string;
}

const FINAL_EVENTS = ['response.completed', 'response.incomplete', 'response.failed'];

// Servers differ in their JSON's spacing (Python's json.dumps writes `"key": value`): keys are matched
// with any, never as exact substrings.
const EVENT_LINE = /^event: *(\S+)/m;
const TYPE_KEY = /"type"\s*:\s*"([^"]+)"/;
/** A final event's type anywhere in a block: its response's items have types of their own, and may come first. */
const FINAL_TYPE = /"type"\s*:\s*"(response\.(?:completed|incomplete|failed)|error)"/;
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
const TIER_KEY = /"service_tier"\s*:\s*"([^"]*)"/;
const DONE = /^data: *\[DONE\]/m;
/** The string values a delta's text is in: Responses' `delta`, Chat's `content`, a call's `arguments`. */
const DELTA_VALUE = /"(?:delta|content|arguments)"\s*:\s*"/;

export class SseScanner {
  private buf = '';
  /** Lines may end in CRLF, LF or CR (the SSE format allows all three): scanned as LF, passed on as sent. */
  private readonly text = new LfDecoder();
  readonly outcome: StreamOutcome = { completed: false, deltaChars: 0 };
  /** A Chat stream's first chunk was read whole (its id and tier); the rest are measured, not parsed. */
  private chatHeadRead = false;

  constructor(private readonly endpoint: Endpoint) {}

  push(chunk: Uint8Array): void {
    this.scan(this.text.push(chunk));
  }

  /** The stream ended: a CR it ended with was a line end, and a last block ended by it counts. */
  end(): void {
    this.scan(this.text.end());
  }

  private scan(text: string): void {
    this.buf += text;
    let at = 0;
    for (let end = this.buf.indexOf('\n\n'); end >= 0; end = this.buf.indexOf('\n\n', at)) {
      const block = this.buf.slice(at, end);
      // Extra blank lines between events are nothing.
      for (at = end + 2; this.buf.charCodeAt(at) === 10; at++);
      if (block) this.onBlock(block);
    }
    if (at) this.buf = this.buf.slice(at);
  }

  private onBlock(block: string): void {
    if (this.endpoint === 'responses') this.onResponsesBlock(block);
    else this.onChatBlock(block);
  }

  private onResponsesBlock(block: string): void {
    const type = EVENT_LINE.exec(block)?.[1] ?? typeInData(block);
    if (type.endsWith('.delta')) {
      this.outcome.deltaChars += deltaLength(block);
      return;
    }
    if (!FINAL_EVENTS.includes(type) && type !== 'error') return;
    const data = dataOf(block);
    if (!data) return;
    if (type === 'error') {
      this.outcome.error = typeof data.message === 'string' ? data.message : 'error event';
      return;
    }
    const response = (data.response ?? {}) as Record<string, unknown>;
    this.outcome.completed = true;
    if (type === 'response.failed') this.outcome.failed = true;
    this.outcome.usage = (response.usage ?? undefined) as Record<string, unknown> | undefined;
    this.outcome.servedTier = typeof response.service_tier === 'string' ? response.service_tier : undefined;
    this.outcome.responseId = typeof response.id === 'string' ? response.id : undefined;
    this.outcome.cacheDiagnostics = response.prompt_cache_diagnostics;
    this.outcome.output = responseActivity('responses', response);
  }

  private onChatBlock(block: string): void {
    if (DONE.test(block)) {
      this.outcome.completed = true;
      return;
    }
    // Every chunk may carry the tier (OpenAI's do); text is counted in each, whatever else it holds.
    this.outcome.deltaChars += deltaLength(block);
    const usage = USAGE_OBJECT.test(block);
    if (this.chatHeadRead && !usage) {
      if (this.outcome.servedTier === undefined) this.outcome.servedTier = TIER_KEY.exec(block)?.[1];
      return;
    }
    const data = dataOf(block);
    if (!data) return;
    this.chatHeadRead = true;
    if (typeof data.service_tier === 'string') this.outcome.servedTier = data.service_tier;
    if (typeof data.id === 'string') this.outcome.responseId ??= data.id;
    if (data.usage && typeof data.usage === 'object') {
      this.outcome.usage = data.usage as Record<string, unknown>;
      this.outcome.completed = true;
    }
  }
}

/** An event without an `event:` line: a delta's type comes first; a final event's may follow its response's items. */
function typeInData(block: string): string {
  const first = TYPE_KEY.exec(block)?.[1] ?? '';
  return first.endsWith('.delta') ? first : FINAL_TYPE.exec(block)?.[1] ?? first;
}

function dataOf(block: string): Record<string, unknown> | undefined {
  const lines = block.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart());
  if (!lines.length) return undefined;
  try {
    const v: unknown = JSON.parse(lines.join('\n'));
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Length of the first JSON string value of a delta-ish key, without parsing the event. */
function deltaLength(block: string): number {
  const m = DELTA_VALUE.exec(block);
  if (!m) return 0;
  const start = m.index + m[0].length;
  let j = start;
  while (j < block.length && !(block[j] === '"' && block[j - 1] !== '\\')) j++;
  return j - start;
}
