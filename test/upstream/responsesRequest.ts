// Reading a POST /v1/responses body: validation the real API does, the effective input (with
// previous_response_id), the conversation the script is played against, and the prompt to count.
import type { Conversation } from './script';
import { invalidRequest, isRecord, stringField, type JsonObject } from './wire';

/**
 * Responses kept for previous_response_id (requests with `store` not false, as the API does). Only
 * the newest are kept: each holds its whole context, and a long benchmark must not grow without end.
 */
export class ResponseStore {
  private readonly byId = new Map<string, { context: unknown[]; response: JsonObject }>();

  constructor(private readonly capacity = 1000) {}

  save(id: string, context: unknown[], response: JsonObject): void {
    this.byId.set(id, { context, response });
    for (const oldest of this.byId.keys()) {
      if (this.byId.size <= this.capacity) break;
      this.byId.delete(oldest);
    }
  }

  context(id: string): unknown[] | undefined {
    return this.byId.get(id)?.context;
  }

  response(id: string): JsonObject | undefined {
    return this.byId.get(id)?.response;
  }
}

export interface ResponsesRequest {
  body: JsonObject;
  model: string;
  stream: boolean;
  /** Earlier context from previous_response_id followed by this request's input. */
  items: unknown[];
  promptParts: unknown[];
  maxOutputTokens: number | undefined;
  store: boolean;
  conversation: Conversation;
}

const MIN_MAX_OUTPUT_TOKENS = 16;

export function parseResponsesRequest(body: JsonObject, store: ResponseStore): ResponsesRequest {
  const model = requireModel(body);
  const input = body.input;
  let ownItems: unknown[];
  if (typeof input === 'string') ownItems = [{ role: 'user', content: input }];
  else if (Array.isArray(input)) ownItems = input;
  else if (input === undefined && typeof body.previous_response_id === 'string') ownItems = [];
  else throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');

  let items = ownItems;
  const previousId = body.previous_response_id;
  if (previousId !== undefined && previousId !== null) {
    const context = typeof previousId === 'string' ? store.context(previousId) : undefined;
    if (!context) {
      throw invalidRequest(`Previous response with id '${String(previousId)}' not found.`, 'previous_response_id', 'previous_response_not_found');
    }
    items = [...context, ...ownItems];
  }
  validateToolPairs(items);

  const max = body.max_output_tokens;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max)) {
      throw invalidRequest("Invalid type for 'max_output_tokens': expected an integer.", 'max_output_tokens', 'invalid_type');
    }
    if (max < MIN_MAX_OUTPUT_TOKENS) {
      throw invalidRequest(`Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_MAX_OUTPUT_TOKENS}, but got ${max} instead.`,
        'max_output_tokens', 'integer_below_min_value');
    }
  }
  return {
    body,
    model,
    stream: body.stream === true,
    items,
    // Tools and instructions come first: the provider's prompt puts them ahead of the conversation.
    promptParts: [body.tools ?? [], body.instructions ?? null, ...items],
    maxOutputTokens: typeof max === 'number' ? max : undefined,
    store: body.store !== false,
    conversation: { userTexts: userTexts(items), priorTurns: countModelTurns(items) },
  };
}

export function requireModel(body: JsonObject): string {
  const model = stringField(body, 'model');
  if (!model) throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  return model;
}

const MODEL_ITEM_TYPES = new Set([
  'function_call', 'custom_tool_call', 'reasoning', 'local_shell_call', 'shell_call', 'apply_patch_call',
  'web_search_call', 'file_search_call', 'computer_call', 'code_interpreter_call', 'image_generation_call', 'mcp_call',
]);

function isModelItem(item: JsonObject): boolean {
  const type = stringField(item, 'type');
  if (type === 'message' || type === undefined) return item.role === 'assistant';
  return MODEL_ITEM_TYPES.has(type);
}

// Ids this server hands out carry the response they came from (see responsesStream.ts), so a turn's
// calls are grouped even when a client interleaves each call with its output.
const TURN_TAG = /^(?:msg|fc|call|rs)_([0-9a-f]{16})_\d+$/;

function turnTag(item: JsonObject): string | undefined {
  for (const key of ['call_id', 'id']) {
    const m = TURN_TAG.exec(stringField(item, key) ?? '');
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Model turns already in the input: consecutive model items (assistant messages, calls, reasoning)
 * form one turn; anything else (a user message, a tool output) ends it. Items this server produced
 * are grouped by the response they came from.
 */
export function countModelTurns(items: readonly unknown[]): number {
  let turns = 0;
  let inRun = false;
  let runTag: string | undefined;
  let lastTag: string | undefined;
  for (const raw of items) {
    if (!isRecord(raw) || !isModelItem(raw)) {
      inRun = false;
      continue;
    }
    const tag = turnTag(raw);
    // Within a run, items join unless two tags disagree (an untagged message followed by its calls is
    // one turn); after an output, only an item tagged like the last one continues the same turn.
    const continues = inRun ? tag === undefined || runTag === undefined || tag === runTag : tag !== undefined && tag === lastTag;
    if (!continues) turns++;
    if (!continues || tag !== undefined) runTag = tag ?? (continues ? runTag : undefined);
    inRun = true;
    if (tag !== undefined) lastTag = tag;
  }
  return turns;
}

function userTexts(items: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (!isRecord(item) || item.role !== 'user') continue;
    const type = stringField(item, 'type');
    if (type !== undefined && type !== 'message') continue;
    out.push(contentText(item.content));
  }
  return out;
}

export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(part => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter(Boolean)
    .join('\n');
}

const CALL_OUTPUT: Record<string, string> = {
  function_call: 'function_call_output',
  custom_tool_call: 'custom_tool_call_output',
};

/** The API refuses an output without its call and a call without its output. */
function validateToolPairs(items: readonly unknown[]): void {
  const calls = new Map<string, string>();
  const answered = new Set<string>();
  for (const item of items) {
    if (!isRecord(item)) continue;
    const type = stringField(item, 'type') ?? '';
    const callId = stringField(item, 'call_id');
    if (callId === undefined) continue;
    if (CALL_OUTPUT[type]) calls.set(callId, CALL_OUTPUT[type]!);
    else if (Object.values(CALL_OUTPUT).includes(type)) {
      if (calls.get(callId) !== type) {
        throw invalidRequest(`No tool call found for ${type.replace(/_output$/, ' output').replace(/_/g, ' ')} with call_id ${callId}.`, 'input');
      }
      answered.add(callId);
    }
  }
  for (const callId of calls.keys()) {
    if (!answered.has(callId)) throw invalidRequest(`No tool output found for function call ${callId}.`, 'input');
  }
}
