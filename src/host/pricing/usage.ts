// Usage as each API reports it, normalised to one shape; and the tier names the API speaks.
import type { ServedTier, Tier } from '../../protocol/types';

/** Token counts of one response. `cached` and `cacheWrite` are inside `input`; `reasoning` is inside `output`. */
export interface NormalizedUsage {
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
}

type Count = number | null | undefined;

export interface ResponsesUsageLike {
  input_tokens?: Count;
  input_tokens_details?: { cached_tokens?: Count; cache_write_tokens?: Count } | null;
  output_tokens?: Count;
  output_tokens_details?: { reasoning_tokens?: Count } | null;
}

export interface ChatUsageLike {
  prompt_tokens?: Count;
  prompt_tokens_details?: { cached_tokens?: Count; cache_write_tokens?: Count } | null;
  completion_tokens?: Count;
  completion_tokens_details?: { reasoning_tokens?: Count } | null;
}

export interface AnthropicUsageLike {
  input_tokens?: Count;
  cache_read_input_tokens?: Count;
  cache_creation_input_tokens?: Count;
  output_tokens?: Count;
}

export const ZERO_TOKENS: NormalizedUsage = { input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0 };

export function fromResponsesUsage(u: ResponsesUsageLike | null | undefined): NormalizedUsage {
  if (!u) return { ...ZERO_TOKENS };
  return normalise({
    input: count(u.input_tokens),
    cached: count(u.input_tokens_details?.cached_tokens),
    cacheWrite: count(u.input_tokens_details?.cache_write_tokens),
    output: count(u.output_tokens),
    reasoning: count(u.output_tokens_details?.reasoning_tokens),
  });
}

export function fromChatUsage(u: ChatUsageLike | null | undefined): NormalizedUsage {
  if (!u) return { ...ZERO_TOKENS };
  return normalise({
    input: count(u.prompt_tokens),
    cached: count(u.prompt_tokens_details?.cached_tokens),
    cacheWrite: count(u.prompt_tokens_details?.cache_write_tokens),
    output: count(u.completion_tokens),
    reasoning: count(u.completion_tokens_details?.reasoning_tokens),
  });
}

/** Anthropic's `input_tokens` excludes cache reads and writes: the total input is the sum of the three. */
export function fromAnthropicUsage(u: AnthropicUsageLike | null | undefined): NormalizedUsage {
  if (!u) return { ...ZERO_TOKENS };
  const cached = count(u.cache_read_input_tokens);
  const cacheWrite = count(u.cache_creation_input_tokens);
  return normalise({ input: count(u.input_tokens) + cached + cacheWrite, cached, cacheWrite, output: count(u.output_tokens), reasoning: 0 });
}

/**
 * A part larger than its whole means the whole was under-reported (seen from compatible servers that
 * count cached tokens apart); raise the whole rather than bill less than the parts.
 */
function normalise(u: NormalizedUsage): NormalizedUsage {
  return { ...u, input: Math.max(u.input, u.cached + u.cacheWrite), output: Math.max(u.output, u.reasoning) };
}

/**
 * Whether usage a server reported can be billed from: its two totals are counts (whole or not, not
 * negative) and its details, where present, too. A string, a negative or a missing total is unreadable,
 * and the request is charged from an estimate instead, marked as one, not as the zero tokens it reads as;
 * so is no input at all, which no request has (a proxy that zeroes usage would make every cap void).
 */
export function usageReadable(endpoint: 'responses' | 'chat', u: unknown): boolean {
  if (typeof u !== 'object' || u === null) return false;
  const v = u as Record<string, unknown>;
  const [input, output, inDetails, outDetails] = endpoint === 'responses'
    ? ['input_tokens', 'output_tokens', 'input_tokens_details', 'output_tokens_details']
    : ['prompt_tokens', 'completion_tokens', 'prompt_tokens_details', 'completion_tokens_details'];
  const isCount = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  // Details are optional, and servers add their own: only the token counts among them are checked.
  const detailsOk = (d: unknown) =>
    d === undefined || d === null || (typeof d === 'object' && Object.entries(d).every(([k, x]) => !k.endsWith('_tokens') || x === null || isCount(x)));
  return isCount(v[input]) && (v[input] as number) > 0 && isCount(v[output]) && detailsOk(v[inDetails]) && detailsOk(v[outDetails]);
}

function count(v: Count): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : 0;
}

export type ServiceTierParam = 'priority' | 'default' | 'flex';

/** The API has no value "standard": it is `default`. Priority is sent as `priority`, which every model accepts. */
export function toServiceTier(t: Tier): ServiceTierParam {
  return t === 'standard' ? 'default' : t;
}

/**
 * The tier a response reports it was served at. `auto` is a request value, and a response echoing it
 * says nothing about the tier used; `ultrafast` has no published price. Both read as 'unknown', so
 * the caller prices the request at the tier it asked for.
 */
export function fromServiceTier(s: string | undefined | null): ServedTier {
  switch (s?.trim().toLowerCase()) {
    case 'priority':
    case 'fast':
      return 'priority';
    case 'default':
    case 'standard':
      return 'standard';
    case 'flex':
      return 'flex';
    default:
      return 'unknown';
  }
}
