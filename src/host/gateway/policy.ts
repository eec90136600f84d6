// What the gateway changes in a request before it goes upstream: the session's tier, its cache key, the
// cache retention its model supports, an output cap that budgets can lower, and (Chat Completions) the
// usage chunk a stream is metered from. Nothing else is touched, so the prompt's bytes (and the cache) stay
// the agent's own.
import type { Tier } from '../../protocol/types';
import { toServiceTier } from '../pricing/usage';
import type { Endpoint } from './requestView';

type Json = Record<string, unknown>;

/**
 * Models that accept `prompt_cache_retention: "24h"` (API-FACTS.md: gpt-5.5, 5.4, 5.2, the 5.1 family, 5,
 * 5-codex, 4.1), each also as a dated snapshot; not their mini, nano or pro siblings, which are not listed.
 */
const RETENTION_24H = /^(gpt-5\.5|gpt-5\.4|gpt-5\.2|gpt-5|gpt-5-codex|gpt-4\.1)(-\d{4}-\d{2}-\d{2})?$|^gpt-5\.1($|-)/;

/** From gpt-5.6 on (5.10 and 6 included), retention is `prompt_cache_options.ttl`. */
function takesCacheOptions(model: string): boolean {
  const v = /^gpt-(\d+)(?:\.(\d+))?($|-)/.exec(model);
  if (!v) return false;
  const major = Number(v[1]);
  return major > 5 || (major === 5 && Number(v[2] ?? 0) >= 6);
}

export function cacheRetentionFor(model: string): { prompt_cache_retention: '24h' } | { prompt_cache_options: { ttl: '12h' } } | undefined {
  if (takesCacheOptions(model)) return { prompt_cache_options: { ttl: '12h' } };
  if (RETENTION_24H.test(model)) return { prompt_cache_retention: '24h' };
  return undefined;
}

/** The output cap the agent asked for (or undefined); of two, the smaller. */
export function requestedMaxOutput(endpoint: Endpoint, body: Json): number | undefined {
  const asked = (endpoint === 'responses' ? [body.max_output_tokens] : [body.max_completion_tokens, body.max_tokens]).filter((v): v is number => typeof v === 'number' && v > 0);
  return asked.length ? Math.min(...asked) : undefined;
}

/** Whether a Chat Completions stream's agent asked for the usage chunk itself. */
export function asksForUsage(body: Json): boolean {
  const options = body.stream_options;
  return typeof options === 'object' && options !== null && (options as Json).include_usage === true;
}

export function applySessionPolicy(
  endpoint: Endpoint,
  body: Json,
  o: { tier: Tier; cacheKey: string; maxOutputTokens: number; nudge?: string; isOpenAI: boolean },
): void {
  body.service_tier = toServiceTier(o.tier);
  if (typeof body.prompt_cache_key !== 'string' || !body.prompt_cache_key) body.prompt_cache_key = o.cacheKey;
  if (endpoint === 'responses') {
    body.max_output_tokens = o.maxOutputTokens;
    const model = typeof body.model === 'string' ? body.model : '';
    const retention = o.isOpenAI && body.prompt_cache_retention === undefined && body.prompt_cache_options === undefined ? cacheRetentionFor(model) : undefined;
    if (retention) Object.assign(body, retention);
    if (o.nudge) body.input = [...toItems(body.input), { type: 'message', role: 'developer', content: o.nudge }];
  } else {
    // Every cap the agent sent is held to the session's; with none, OpenAI's reasoning models take only
    // max_completion_tokens, and other servers know max_tokens.
    const sent = ['max_completion_tokens', 'max_tokens'].filter(k => body[k] !== undefined && body[k] !== null);
    for (const k of sent.length ? sent : [o.isOpenAI ? 'max_completion_tokens' : 'max_tokens']) body[k] = o.maxOutputTokens;
    // Without the usage chunk a chat stream cannot be metered (one the agent did not ask for is taken out
    // of what it reads: usageChunkFilter.ts).
    if (body.stream === true) body.stream_options = { ...(body.stream_options as Json | undefined), include_usage: true };
    if (o.nudge && Array.isArray(body.messages)) body.messages = [...body.messages, { role: 'user', content: o.nudge }];
  }
}

function toItems(input: unknown): unknown[] {
  if (Array.isArray(input)) return input;
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return [];
}
