// A deterministic stand-in tokenizer: one token per 4 bytes of UTF-8. The prompt is serialized in the
// order it was sent, so a change early in the prompt moves every later token, as with a real tokenizer.
import { createHash } from 'node:crypto';

export const BYTES_PER_TOKEN = 4;
/** The provider caches prompts of at least this many tokens... */
export const CACHE_MIN_TOKENS = 1024;
/** ...in prefixes that grow by this many tokens. */
export const CACHE_STEP_TOKENS = 128;
/** Without a prompt_cache_key, requests are routed by a hash of roughly this many leading tokens. */
export const ROUTING_PREFIX_TOKENS = 256;

export function countTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
}

/** The longest prefix of `text` that fits in `maxTokens`, cut on a character boundary. */
export function truncateToTokens(text: string, maxTokens: number): string {
  const maxBytes = Math.max(0, maxTokens) * BYTES_PER_TOKEN;
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += ch.length;
  }
  return text.slice(0, end);
}

export interface PromptTokens {
  tokens: number;
  /** Hash of the first ROUTING_PREFIX_TOKENS tokens. */
  routingHash: string;
  /** prefixHashes[j] is the hash of the first CACHE_MIN_TOKENS + j * CACHE_STEP_TOKENS tokens. */
  prefixHashes: string[];
}

/** Serializes the prompt parts one JSON value per line: appending a part keeps the old text as a prefix. */
export function serializePrompt(parts: readonly unknown[]): string {
  return parts.map(p => JSON.stringify(p ?? null)).join('\n');
}

export function tokenizePrompt(parts: readonly unknown[]): PromptTokens {
  const bytes = Buffer.from(serializePrompt(parts), 'utf8');
  const tokens = Math.ceil(bytes.length / BYTES_PER_TOKEN);
  const routingHash = createHash('sha256')
    .update(bytes.subarray(0, ROUTING_PREFIX_TOKENS * BYTES_PER_TOKEN)).digest('base64url');
  // One running hash, copied at each boundary: O(prompt) for all prefixes together.
  const prefixHashes: string[] = [];
  const running = createHash('sha256');
  let hashed = 0;
  for (let t = CACHE_MIN_TOKENS; t * BYTES_PER_TOKEN <= bytes.length; t += CACHE_STEP_TOKENS) {
    const end = t * BYTES_PER_TOKEN;
    running.update(bytes.subarray(hashed, end));
    hashed = end;
    prefixHashes.push(running.copy().digest('base64url'));
  }
  return { tokens, routingHash, prefixHashes };
}

export function prefixTokens(index: number): number {
  return CACHE_MIN_TOKENS + index * CACHE_STEP_TOKENS;
}
