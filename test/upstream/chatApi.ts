// POST /v1/chat/completions: validation the real API does, the conversation, and the answer as
// `chat.completion` or a stream of `chat.completion.chunk` objects ending with `data: [DONE]`.
import { contentText, requireModel } from './responsesRequest';
import { argumentDeltas, textDeltas, type Conversation, type TurnOutcome } from './script';
import type { WireEvent } from './sse';
import type { RecordedUsage } from './types';
import { invalidRequest, isRecord, stringField, type JsonObject } from './wire';

export interface ChatRequest {
  body: JsonObject;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  promptParts: unknown[];
  maxOutputTokens: number | undefined;
  conversation: Conversation;
}

export function parseChatRequest(body: JsonObject): ChatRequest {
  const model = requireModel(body);
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  validateToolMessages(messages);
  const maxKey = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
  const max = body[maxKey];
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    throw invalidRequest(`Invalid '${maxKey}': expected an integer >= 1.`, maxKey, 'invalid_value');
  }
  const streamOptions = isRecord(body.stream_options) ? body.stream_options : {};
  const userTexts = messages.filter(m => isRecord(m) && m.role === 'user').map(m => contentText((m as JsonObject).content));
  return {
    body,
    model,
    stream: body.stream === true,
    includeUsage: streamOptions.include_usage === true,
    promptParts: [body.tools ?? [], ...messages],
    maxOutputTokens: typeof max === 'number' ? max : undefined,
    conversation: { userTexts, priorTurns: messages.filter(m => isRecord(m) && m.role === 'assistant').length },
  };
}

/** Tool messages must answer the assistant message just before them, and answer all of its calls. */
function validateToolMessages(messages: readonly unknown[]): void {
  let pending: Set<string> | undefined;
  let pendingAt = -1;
  const unanswered = (): never => {
    throw invalidRequest("An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. "
      + `The following tool_call_ids did not have response messages: ${[...pending!].join(', ')}`, `messages.[${pendingAt}].role`);
  };
  messages.forEach((m, i) => {
    if (!isRecord(m)) throw invalidRequest(`Invalid type for 'messages[${i}]': expected an object.`, `messages.[${i}]`);
    if (m.role === 'tool') {
      const id = stringField(m, 'tool_call_id') ?? '';
      if (!pending?.delete(id)) {
        // "preceeding" is the API's own spelling; clients match on this text.
        throw invalidRequest("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${i}].role`);
      }
      return;
    }
    if (pending && pending.size > 0) unanswered();
    pending = undefined;
    if (m.role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      pending = new Set(m.tool_calls.map(c => (isRecord(c) ? stringField(c, 'id') ?? '' : '')));
      pendingAt = i;
    }
  });
  if (pending && pending.size > 0) unanswered();
}

export function chatUsage(u: RecordedUsage): JsonObject {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

export interface RenderedChat {
  events: WireEvent[];
  final: JsonObject;
  errorEvent(afterEvents: number): WireEvent;
}

export function renderChat(req: ChatRequest, outcome: TurnOutcome): RenderedChat {
  const { plan, tag } = outcome;
  const id = `chatcmpl-${tag}`;
  const created = Math.floor(outcome.createdAt / 1000);
  const finishReason = plan.truncated ? 'length' : plan.calls.length ? 'tool_calls' : 'stop';
  const callId = (i: number): string => `call_${tag}_${i}`;
  const head = { id, object: 'chat.completion.chunk', created, model: req.model, service_tier: outcome.servedTier, system_fingerprint: null };

  const events: WireEvent[] = [];
  const chunk = (delta: JsonObject, finish: string | null = null): void => {
    events.push({ data: {
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(req.includeUsage ? { usage: null } : {}),
    } });
  };
  chunk({ role: 'assistant', content: plan.text ? '' : null, refusal: null });
  for (const delta of textDeltas(plan.text?.text ?? '')) chunk({ content: delta });
  plan.calls.forEach((call, i) => {
    chunk({ tool_calls: [{ index: i, id: callId(i), type: 'function', function: { name: call.name, arguments: '' } }] });
    for (const delta of argumentDeltas(call.arguments)) chunk({ tool_calls: [{ index: i, function: { arguments: delta } }] });
  });
  chunk({}, finishReason);
  if (req.includeUsage) events.push({ data: { ...head, choices: [], usage: chatUsage(outcome.usage) } });
  events.push({ data: '[DONE]' });

  const message: JsonObject = { role: 'assistant', content: plan.text?.text ?? null, refusal: null, annotations: [] };
  if (plan.calls.length) {
    message.tool_calls = plan.calls.map((c, i) => ({ id: callId(i), type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  const final: JsonObject = {
    id, object: 'chat.completion', created, model: req.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage: chatUsage(outcome.usage),
    service_tier: outcome.servedTier,
    system_fingerprint: null,
  };
  return {
    events,
    final,
    // OpenAI-compatible servers report a mid-stream failure as a data line holding an `error` object.
    errorEvent: () => ({ data: { error: {
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error', param: null, code: null,
    } } }),
  };
}
