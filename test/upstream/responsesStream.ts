// The Responses API's answer to one turn: the server-sent events in the order and shapes the `openai`
// SDK declares (resources/responses/responses.d.ts), and the final Response object.
import type { ResponsesRequest } from './responsesRequest';
import { argumentDeltas, textDeltas, type TurnOutcome } from './script';
import type { WireEvent } from './sse';
import type { RecordedUsage } from './types';
import type { JsonObject } from './wire';

export interface RenderedResponse {
  events: WireEvent[];
  final: JsonObject;
  /** Output items, for previous_response_id. */
  output: JsonObject[];
  /** An in-stream `error` event with the next sequence number after `afterEvents` events. */
  errorEvent(afterEvents: number): WireEvent;
}

export function responsesUsage(u: RecordedUsage): JsonObject {
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

export function renderResponse(req: ResponsesRequest, outcome: TurnOutcome): RenderedResponse {
  const { plan, tag } = outcome;
  const b = req.body;
  const seconds = Math.floor(outcome.createdAt / 1000);
  const base: JsonObject = {
    id: `resp_${tag}`,
    object: 'response',
    created_at: seconds,
    status: 'in_progress',
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: b.max_tool_calls ?? null,
    model: req.model,
    output: [],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    prompt_cache_retention: b.prompt_cache_retention ?? null,
    reasoning: b.reasoning ?? { effort: null, summary: null },
    safety_identifier: b.safety_identifier ?? null,
    // While in progress the API shows the tier asked for; the served one comes with the final response.
    service_tier: b.service_tier ?? 'auto',
    store: req.store,
    temperature: b.temperature ?? 1,
    text: b.text ?? { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_logprobs: b.top_logprobs ?? 0,
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? 'disabled',
    usage: null,
    user: b.user ?? null,
    metadata: b.metadata ?? {},
  };

  const events: WireEvent[] = [];
  const emit = (type: string, fields: JsonObject): void => {
    events.push({ event: type, data: { type, sequence_number: events.length, ...fields } });
  };
  emit('response.created', { response: base });
  emit('response.in_progress', { response: base });

  const output: JsonObject[] = [];
  if (plan.text) {
    const outputIndex = output.length;
    const id = `msg_${tag}_${outputIndex}`;
    const { text, complete } = plan.text;
    const part = (t: string): JsonObject => ({ type: 'output_text', annotations: [], logprobs: [], text: t });
    const item = (status: string, content: JsonObject[]): JsonObject =>
      ({ id, type: 'message', status, content, role: 'assistant' });
    const at = { item_id: id, output_index: outputIndex, content_index: 0 };
    emit('response.output_item.added', { output_index: outputIndex, item: item('in_progress', []) });
    emit('response.content_part.added', { ...at, part: part('') });
    for (const delta of textDeltas(text)) emit('response.output_text.delta', { ...at, delta, logprobs: [] });
    emit('response.output_text.done', { ...at, text, logprobs: [] });
    emit('response.content_part.done', { ...at, part: part(text) });
    const done = item(complete ? 'completed' : 'incomplete', [part(text)]);
    emit('response.output_item.done', { output_index: outputIndex, item: done });
    output.push(done);
  }
  plan.calls.forEach((call, i) => {
    const outputIndex = output.length;
    const id = `fc_${tag}_${i}`;
    const item = (status: string, args: string): JsonObject =>
      ({ id, type: 'function_call', status, arguments: args, call_id: `call_${tag}_${i}`, name: call.name });
    emit('response.output_item.added', { output_index: outputIndex, item: item('in_progress', '') });
    for (const delta of argumentDeltas(call.arguments)) {
      emit('response.function_call_arguments.delta', { item_id: id, output_index: outputIndex, delta });
    }
    emit('response.function_call_arguments.done', { item_id: id, output_index: outputIndex, arguments: call.arguments });
    const done = item(call.complete ? 'completed' : 'incomplete', call.arguments);
    emit('response.output_item.done', { output_index: outputIndex, item: done });
    output.push(done);
  });

  const final: JsonObject = {
    ...base,
    status: plan.truncated ? 'incomplete' : 'completed',
    completed_at: plan.truncated ? null : seconds,
    incomplete_details: plan.truncated ? { reason: 'max_output_tokens' } : null,
    output,
    service_tier: outcome.servedTier,
    usage: responsesUsage(outcome.usage),
  };
  emit(plan.truncated ? 'response.incomplete' : 'response.completed', { response: final });

  return {
    events,
    final,
    output,
    errorEvent: afterEvents => ({
      event: 'error',
      data: {
        type: 'error', sequence_number: afterEvents, code: 'server_error', param: null,
        message: 'The server had an error while processing your request. Sorry about that!',
      },
    }),
  };
}
