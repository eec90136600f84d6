// One model turn through the `openai` SDK: the Responses API with streaming, or Chat Completions for
// OpenAI-compatible servers without it (chosen by setting, or detected when /responses answers 404).
// Requests go through the metering gateway (passed in as `fetch`), never straight to the provider.
import OpenAI, { APIError, NotFoundError } from 'openai';
import type { ConversationItem } from './conversation';
import { toChatMessages, toChatTools, type ResponsesTool } from './chatAdapter';
import { readSseJson as readEvents, SseReadError, type SseJson } from './sseEvents';

export interface ModelRequest {
  model: string;
  instructions: string;
  tools: readonly ResponsesTool[];
  input: readonly ConversationItem[];
  maxOutputTokens: number;
  cacheKey: string;
  cacheRetention?: '24h' | 'in_memory';
  signal: AbortSignal;
}

export interface ModelCall {
  callId: string;
  name: string;
  arguments: string;
}

export interface ModelTurn {
  text: string;
  calls: ModelCall[];
  /** 'incomplete' when the output hit max_output_tokens. */
  status: 'completed' | 'incomplete';
  responseId?: string;
}

/** The stream ended before the final event: nothing of this turn may be acted on; it can be retried. */
export class StreamCutError extends Error {
  constructor() {
    super('The model stream was cut before it finished.');
  }
}

export interface ModelClientOptions {
  baseURL: string;
  apiKey: string;
  headers: Record<string, string>;
  api: 'auto' | 'responses' | 'chat';
  fetch: typeof fetch;
}

const SDK_TIMEOUT_MS = 30 * 60_000;

export class ModelClient {
  private readonly client: OpenAI;
  private api: 'auto' | 'responses' | 'chat';

  constructor(opts: ModelClientOptions) {
    this.api = opts.api;
    this.client = new OpenAI({
      apiKey: opts.apiKey,
      baseURL: opts.baseURL,
      defaultHeaders: opts.headers,
      fetch: opts.fetch,
      // The agent loop retries, each time saying why and when; retries inside the SDK were silent, and
      // tripled every wait (a 429 that never cleared kept a session quiet for about 21 minutes).
      maxRetries: 0,
      // Every request goes through the in-process gateway, whose limits are the ones that count: it may hold a
      // request for budget headroom (up to 10 min) or the rate limit (1 min) before it is sent, and a flex
      // request may then queue for its first byte (15 min; API-FACTS.md: raise the timeout). The SDK's own
      // timer, which runs until the response's headers, is longer than all of them.
      timeout: SDK_TIMEOUT_MS,
    });
  }

  get apiInUse(): 'responses' | 'chat' | 'auto' {
    return this.api;
  }

  async turn(req: ModelRequest, onDelta: (text: string) => void): Promise<ModelTurn> {
    if (this.api === 'chat') return this.chatTurn(req, onDelta);
    try {
      const turn = await this.responsesTurn(req, onDelta);
      this.api = 'responses';
      return turn;
    } catch (err) {
      if (this.api === 'auto' && withoutResponsesApi(err)) {
        this.api = 'chat';
        return this.chatTurn(req, onDelta);
      }
      throw err;
    }
  }

  private async responsesTurn(req: ModelRequest, onDelta: (text: string) => void): Promise<ModelTurn> {
    // The SDK builds and sends the request and turns error statuses into its errors (the loop retries); the
    // events are read here, off the raw body (sseEvents.ts says why).
    const response = await this.client.responses.create(
      {
        model: req.model,
        instructions: req.instructions,
        tools: [...req.tools],
        input: req.input as OpenAI.Responses.ResponseInputItem[],
        stream: true,
        store: false,
        parallel_tool_calls: true,
        prompt_cache_key: req.cacheKey,
        ...(req.cacheRetention ? { prompt_cache_retention: req.cacheRetention } : {}),
        max_output_tokens: req.maxOutputTokens,
      },
      { signal: req.signal },
    ).asResponse();
    let text = '';
    const calls: ModelCall[] = [];
    let turn: ModelTurn | undefined;
    await readSseJson(bodyOf(response), response.headers, data => {
      const event = data as unknown as OpenAI.Responses.ResponseStreamEvent;
      switch (event.type) {
        case 'response.output_text.delta':
          onDelta(event.delta);
          return false;
        case 'response.output_item.done':
          if (event.item.type === 'function_call') {
            calls.push({ callId: event.item.call_id, name: event.item.name, arguments: event.item.arguments });
          } else if (event.item.type === 'message') {
            for (const part of event.item.content) if (part.type === 'output_text') text += part.text;
          }
          return false;
        case 'response.completed':
        case 'response.incomplete':
          turn = { text, calls, status: event.type === 'response.completed' ? 'completed' : 'incomplete', responseId: event.response.id };
          return true;
        case 'response.failed':
          throw new Error(event.response.error?.message ?? 'The model reported a failure.');
        case 'error':
          throw new Error(event.message || 'The model stream reported an error.');
        default:
          return false;
      }
    }, req.signal);
    if (!turn) throw new StreamCutError();
    return turn;
  }

  private async chatTurn(req: ModelRequest, onDelta: (text: string) => void): Promise<ModelTurn> {
    const response = await this.client.chat.completions.create(
      {
        model: req.model,
        messages: toChatMessages(req.instructions, req.input),
        tools: toChatTools(req.tools),
        stream: true,
        stream_options: { include_usage: true },
        prompt_cache_key: req.cacheKey,
        // OpenAI-compatible servers understand max_tokens; only OpenAI's reasoning models insist on the
        // newer name, and they are reached through the Responses API.
        max_tokens: req.maxOutputTokens,
      },
      { signal: req.signal },
    ).asResponse();
    let text = '';
    let finish: string | null = null;
    const byIndex = new Map<number, ModelCall>();
    let sawUsage = false;
    await readSseJson(bodyOf(response), response.headers, data => {
      const chunk = data as unknown as OpenAI.Chat.Completions.ChatCompletionChunk;
      if (chunk.usage) sawUsage = true;
      // Some compatible servers leave `choices` out of the usage chunk.
      for (const choice of chunk.choices ?? []) {
        const delta = choice.delta;
        if (delta?.content) {
          text += delta.content;
          onDelta(delta.content);
        }
        for (const tc of delta?.tool_calls ?? []) {
          const call = byIndex.get(tc.index) ?? { callId: '', name: '', arguments: '' };
          if (tc.id) call.callId = tc.id;
          if (tc.function?.name) call.name += tc.function.name;
          if (tc.function?.arguments) call.arguments += tc.function.arguments;
          byIndex.set(tc.index, call);
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
      return false;
    }, req.signal);
    if (!finish && !sawUsage) throw new StreamCutError();
    const calls = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([i, c]) => ({ ...c, callId: c.callId || `call_${i}` }));
    return { text, calls, status: finish === 'length' ? 'incomplete' : 'completed' };
  }
}

/** A body cut while it was read is a cut stream (retried as one), unless this side cancelled it. */
async function readSseJson(body: ReadableStream<Uint8Array>, headers: Headers, onEvent: (data: SseJson) => boolean, signal: AbortSignal): Promise<boolean> {
  try {
    return await readEvents(body, headers, onEvent);
  } catch (err) {
    if (err instanceof SseReadError && !signal.aborted) throw new StreamCutError();
    throw err;
  }
}

/** A streamed answer without a body was cut before its first byte. */
function bodyOf(response: Response): ReadableStream<Uint8Array> {
  if (!response.body) throw new StreamCutError();
  return response.body;
}

/**
 * A server without the Responses API answers its path with 404 (a missing model is a 404 too, and says so),
 * or, as some local servers do, with 200 and an error, which the gateway passes on as its own
 * `upstream_error_as_success` (Chat Completions then says what is wrong, if anything still is).
 */
function withoutResponsesApi(err: unknown): boolean {
  if (err instanceof NotFoundError) return err.code !== 'model_not_found' && !/model/i.test(err.message);
  return err instanceof APIError && err.code === 'upstream_error_as_success';
}
