// The provider's documented caching rule: an exact prefix match against earlier requests in the same
// cache namespace, for prompts of at least 1024 tokens, counted in 1024 + 128·k token steps, with
// entries that expire after a while without use.
import { createHash } from 'node:crypto';
import { prefixTokens, type PromptTokens } from './tokens';

/** Requests share cached prefixes only within one model, served tier and routing key. */
export function cacheNamespace(model: string, servedTier: string, promptCacheKey: string | undefined, routingHash: string): string {
  const routing = promptCacheKey !== undefined ? `key:${promptCacheKey}` : `prefix:${routingHash}`;
  return createHash('sha256').update(JSON.stringify([model, servedTier, routing])).digest('base64url');
}

export class PromptCache {
  /** namespace + prefix hash -> last use (ms). */
  private readonly entries = new Map<string, number>();
  private lastSweep: number;

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number,
  ) {
    this.lastSweep = now();
  }

  /** The cached tokens for this prompt; then stores (or refreshes) every prefix it has. */
  lookupAndStore(namespace: string, prompt: PromptTokens): number {
    const now = this.now();
    const ttl = this.ttlMs();
    this.sweep(now, ttl);
    let cached = 0;
    for (let j = prompt.prefixHashes.length - 1; j >= 0; j--) {
      const lastUse = this.entries.get(entryKey(namespace, prompt.prefixHashes[j]!));
      if (lastUse !== undefined && now - lastUse < ttl) {
        cached = prefixTokens(j);
        break;
      }
    }
    for (const hash of prompt.prefixHashes) this.entries.set(entryKey(namespace, hash), now);
    return cached;
  }

  reset(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private sweep(now: number, ttl: number): void {
    if (now - this.lastSweep < ttl) return;
    this.lastSweep = now;
    for (const [key, lastUse] of this.entries) if (now - lastUse >= ttl) this.entries.delete(key);
  }
}

function entryKey(namespace: string, hash: string): string {
  return `${namespace}/${hash}`;
}
