// Reads what the gateway needs out of a Responses or Chat Completions request body: the model, the
// prompt's segments (for cache insight), and the agent's activity (calls, outputs, text) for the loop
// guard. Works for any agent's requests, not only the built-in one's.
import crypto from 'node:crypto';

export type Endpoint = 'responses' | 'chat';

export interface AgentItem {
  kind: 'text' | 'call' | 'output';
  callId?: string;
  name?: string;
  /** Call arguments, output text, or assistant text. */
  body: string;
}

export interface RequestView {
  endpoint: Endpoint;
  model: string;
  stream: boolean;
  /** Prompt segments in the order the provider reads them, with a hash each. */
  segments: { label: string; hash: string }[];
  /** Agent activity in conversation order: the model's text and calls, and the tools' outputs. */
  activity: AgentItem[];
  /** Number of segments before the conversation items (instructions, tools). */
  headerSegments: number;
}

type Json = Record<string, unknown>;

// Every item of every request is hashed: the one-shot hash costs about half as much as a Hash object
// per item (Node 20.12 and later; the fallback is for older ones).
const hash: (s: string) => string = typeof crypto.hash === 'function'
  ? s => crypto.hash('sha1', s, 'base64url').slice(0, 16)
  : s => crypto.createHash('sha1').update(s).digest('base64url').slice(0, 16);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

function segment(label: string, value: unknown): { label: string; hash: string } {
  return { label, hash: hash(typeof value === 'string' ? value : JSON.stringify(value ?? null)) };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map(p => (typeof p === 'object' && p !== null ? str((p as Json).text) : '')).join('');
}

export function viewRequest(endpoint: Endpoint, body: Json): RequestView {
  return endpoint === 'responses' ? viewResponses(body) : viewChat(body);
}

function viewResponses(body: Json): RequestView {
  const input = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : Array.isArray(body.input) ? body.input : [];
  const segments = [segment('instructions', body.instructions ?? ''), segment('tools', body.tools ?? [])];
  const activity: AgentItem[] = [];
  input.forEach((raw: unknown, i: number) => {
    const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Json;
    const type = str(item.type || 'message');
    segments.push(segment(`item ${i + 1} (${type === 'message' ? str(item.role) || 'message' : type})`, item));
    const act = responsesActivity(item, type);
    if (act) activity.push(act);
  });
  return { endpoint: 'responses', model: str(body.model), stream: body.stream === true, segments, activity, headerSegments: 2 };
}

function responsesActivity(item: Json, type: string): AgentItem | undefined {
  if (type === 'message' && item.role === 'assistant') return { kind: 'text', body: contentText(item.content) };
  if (type.endsWith('_call_output')) return { kind: 'output', callId: str(item.call_id), body: str(item.output) };
  if (type.endsWith('_call')) return { kind: 'call', callId: str(item.call_id), name: str(item.name) || type, body: str(item.arguments ?? item.input ?? item.action) };
  return undefined;
}

/**
 * The model's text and calls in a response: a Responses `response` object, or a Chat Completions
 * response (its first choice). A session's last response is never followed by a request that would
 * show them, so its trace takes them from here.
 */
export function responseActivity(endpoint: Endpoint, response: unknown): AgentItem[] {
  if (typeof response !== 'object' || response === null) return [];
  const r = response as Json;
  if (endpoint === 'responses') {
    const output = Array.isArray(r.output) ? r.output : [];
    return output.flatMap((raw: unknown) => {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Json;
      const act = responsesActivity(item, str(item.type || 'message'));
      return act && !(act.kind === 'text' && !act.body) ? [act] : [];
    });
  }
  const choice = (Array.isArray(r.choices) ? r.choices[0] : undefined) as Json | undefined;
  const message = (choice?.message ?? {}) as Json;
  return [...chatActivity(message)];
}

function* chatActivity(m: Json): Generator<AgentItem> {
  const text = contentText(m.content);
  if (text) yield { kind: 'text', body: text };
  for (const tc of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    const t = tc as Json;
    const fn = (t.function ?? {}) as Json;
    yield { kind: 'call', callId: str(t.id), name: str(fn.name), body: str(fn.arguments) };
  }
}

function viewChat(body: Json): RequestView {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const segments = [segment('tools', body.tools ?? [])];
  const activity: AgentItem[] = [];
  messages.forEach((raw: unknown, i: number) => {
    const m = (typeof raw === 'object' && raw !== null ? raw : {}) as Json;
    const role = str(m.role);
    segments.push(segment(i === 0 && role === 'system' ? 'instructions' : `item ${i + 1} (${role})`, m));
    if (role === 'assistant') activity.push(...chatActivity(m));
    else if (role === 'tool') {
      activity.push({ kind: 'output', callId: str(m.tool_call_id), body: contentText(m.content) });
    }
  });
  return { endpoint: 'chat', model: str(body.model), stream: body.stream === true, segments, activity, headerSegments: 1 };
}

/**
 * Upper bound on a request's input tokens for budget reservations. Real tokenisers average about four
 * bytes a token on code and prose; three keeps a safety margin, plus a fixed allowance per request.
 */
export function reserveInputTokens(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 3) + 64;
}

/** A plain estimate (not a bound) for figures such as an interrupted request's input. */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / 4);
}
