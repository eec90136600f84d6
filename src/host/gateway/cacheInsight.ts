// Why did a request miss the prompt cache? The gateway keeps a hash per prompt segment (model and tier,
// instructions, tools, each conversation item). When a response's cached tokens fall short of what the
// previous request's prefix should have given, the first segment that differs names the cause.
import type { RequestView } from './requestView';

/** Provider rule (API-FACTS.md): caching starts at 1024 tokens and grows in 128-token steps. */
export function cacheableTokens(prefixTokens: number): number {
  return prefixTokens < 1024 ? 0 : 1024 + Math.floor((prefixTokens - 1024) / 128) * 128;
}

export interface Expectation {
  expectedCached: number;
  firstDiff?: string;
  idleMs: number;
}

export interface BreakVerdict {
  segment: string;
  reason: string;
  missedTokens: number;
}

interface Seen {
  hashes: string[];
  labels: string[];
  bytes: number[];
  at: number;
  inputTokens: number;
}

/** Idle time after which an in-memory cache entry is likely gone (the provider says 5–10 minutes). */
const IDLE_EXPIRY_MS = 5 * 60_000;

export class CacheTracker {
  private prev: Seen | undefined;
  private compactedSincePrev = false;

  /** The engine compacted the conversation: the next miss is expected and said to be a reset. */
  markCompaction(): void {
    this.compactedSincePrev = true;
  }

  expect(view: RequestView, routing: string, now: number): Expectation {
    const labels = ['model/tier', ...view.segments.map(s => s.label)];
    const hashes = [routing, ...view.segments.map(s => s.hash)];
    const prev = this.prev;
    if (!prev) return { expectedCached: 0, idleMs: 0 };
    let common = 0;
    let i = 0;
    for (; i < Math.min(prev.hashes.length, hashes.length) && prev.hashes[i] === hashes[i]; i++) common += prev.bytes[i];
    const firstDiff = i < prev.hashes.length ? labels[i] : undefined;
    const commonTokens = Math.min(Math.floor(common / 4), prev.inputTokens);
    return { expectedCached: cacheableTokens(commonTokens), firstDiff, idleMs: now - prev.at };
  }

  /** Records the request as the new reference and says whether (and why) it broke the cache. */
  settle(view: RequestView, routing: string, now: number, exp: Expectation, inputTokens: number, cached: number, diagnostics: unknown): BreakVerdict | undefined {
    const compacted = this.compactedSincePrev;
    this.compactedSincePrev = false;
    this.prev = {
      hashes: [routing, ...view.segments.map(s => s.hash)],
      labels: ['model/tier', ...view.segments.map(s => s.label)],
      bytes: [0, ...view.segments.map(s => s.bytes)],
      at: now,
      inputTokens,
    };
    const missed = exp.expectedCached - cached;
    // Small shortfalls are the provider's 128-token granularity and our byte-based token estimate.
    if (exp.expectedCached < 1024 || missed <= Math.max(256, exp.expectedCached * 0.1)) {
      if (!compacted) return undefined;
    }
    const provider = providerReason(diagnostics);
    if (compacted) return { segment: 'conversation', reason: 'compaction: older turns were summarised (a planned cache reset)', missedTokens: Math.max(0, missed) };
    if (exp.firstDiff === 'model/tier') return { segment: 'model/tier', reason: 'the model, tier or cache key changed', missedTokens: missed };
    if (exp.firstDiff === 'instructions') return { segment: 'instructions', reason: withProvider('the instructions changed', provider), missedTokens: missed };
    if (exp.firstDiff === 'tools') return { segment: 'tools', reason: withProvider('the tool schemas changed (order or content)', provider), missedTokens: missed };
    if (exp.firstDiff) return { segment: exp.firstDiff, reason: withProvider(`an earlier conversation item was rewritten: ${exp.firstDiff}`, provider), missedTokens: missed };
    if (exp.idleMs > IDLE_EXPIRY_MS) {
      return { segment: 'cache', reason: `the cache expired after ${Math.round(exp.idleMs / 60_000)} min idle`, missedTokens: missed };
    }
    return { segment: 'cache', reason: withProvider('the provider did not reuse the cached prefix (routing or eviction)', provider), missedTokens: missed };
  }
}

function providerReason(diagnostics: unknown): string | undefined {
  if (typeof diagnostics !== 'object' || diagnostics === null) return undefined;
  const d = diagnostics as Record<string, unknown>;
  const miss = (Array.isArray(d.results) ? d.results[0] : d) as Record<string, unknown> | undefined;
  return typeof miss?.reason === 'string' ? miss.reason : undefined;
}

function withProvider(reason: string, provider: string | undefined): string {
  return provider ? `${reason} (provider: ${provider})` : reason;
}
