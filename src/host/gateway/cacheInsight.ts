// Why did a request miss the prompt cache? The gateway keeps a hash per prompt segment (model and tier,
// instructions, tools, each conversation item). When a response's cached tokens fall short of what the
// previous request's prefix should have given, the first segment that differs names the cause.
import type { RequestView } from './requestView';

/** Provider rule (API-FACTS.md): caching starts at 1024 tokens and grows in 128-token steps. */
export function cacheableTokens(prefixTokens: number): number {
  return prefixTokens < 1024 ? 0 : 1024 + Math.floor((prefixTokens - 1024) / 128) * 128;
}

export interface Expectation {
  /** Input tokens of the previous request: an append-only continuation would find them all cached. */
  previousTokens: number;
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
  at: number;
  inputTokens: number;
}

/** Idle time after which an in-memory cache entry is likely gone (the provider says 5–10 minutes). */
const IDLE_EXPIRY_MS = 5 * 60_000;

export class CacheTracker {
  private prev: Seen | undefined;
  private compactedSincePrev = false;

  constructor(private readonly idleExpiryMs = IDLE_EXPIRY_MS) {}

  /** The engine compacted the conversation: the next miss is expected and said to be a reset. */
  markCompaction(): void {
    this.compactedSincePrev = true;
  }

  expect(view: RequestView, routing: string, now: number): Expectation {
    const hashes = [routing, ...view.segments.map(sg => sg.hash)];
    const labels = ['model/tier', ...view.segments.map(sg => sg.label)];
    const prev = this.prev;
    if (!prev) return { previousTokens: 0, idleMs: 0 };
    let i = 0;
    while (i < Math.min(prev.hashes.length, hashes.length) && prev.hashes[i] === hashes[i]) i++;
    return { previousTokens: prev.inputTokens, firstDiff: i < prev.hashes.length ? labels[i] : undefined, idleMs: now - prev.at };
  }

  /** Records the request as the new reference and says whether (and why) it broke the cache. */
  settle(view: RequestView, routing: string, now: number, exp: Expectation, inputTokens: number, cached: number, diagnostics: unknown): BreakVerdict | undefined {
    const compacted = this.compactedSincePrev;
    this.compactedSincePrev = false;
    this.prev = {
      hashes: [routing, ...view.segments.map(s => s.hash)],
      at: now,
      inputTokens,
    };
    // What the previous prompt's prefix should have given had this request only appended to it.
    const expected = cacheableTokens(Math.min(exp.previousTokens, inputTokens));
    const missed = expected - cached;
    // Small shortfalls are the provider's 128-token granularity.
    if (!compacted && (expected < 1024 || missed <= Math.max(256, expected * 0.1))) return undefined;
    const provider = providerReason(diagnostics);
    if (compacted) return { segment: 'conversation', reason: 'compaction: older turns were summarised (a planned cache reset)', missedTokens: Math.max(0, missed) };
    if (exp.firstDiff === 'model/tier') return { segment: 'model/tier', reason: 'the model, tier or cache key changed', missedTokens: missed };
    if (exp.firstDiff === 'instructions') return { segment: 'instructions', reason: withProvider('the instructions changed', provider), missedTokens: missed };
    if (exp.firstDiff === 'tools') return { segment: 'tools', reason: withProvider('the tool schemas changed (order or content)', provider), missedTokens: missed };
    if (exp.firstDiff) return { segment: exp.firstDiff, reason: withProvider(`an earlier conversation item was rewritten: ${exp.firstDiff}`, provider), missedTokens: missed };
    if (exp.idleMs > this.idleExpiryMs) {
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
