// Why did a request miss the prompt cache? The gateway keeps a hash per prompt segment (the routing: model,
// tier, cache key and model server; then instructions, tools, each conversation item). When a response's
// cached tokens fall short of what the previous request's prefix should have given, the first segment that
// differs names the cause.
import { createHash } from 'node:crypto';
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

/** What decides which cache a request can hit, besides its prompt: each part hashed, and named when it changes. */
export interface RoutingPart {
  label: RoutingLabel;
  hash: string;
}

type RoutingLabel = 'model' | 'tier' | 'cache key' | 'model server';

const ROUTING_REASONS: Record<RoutingLabel, string> = {
  model: 'the model changed (a model has no cache of another)',
  tier: 'the tier changed (switching tiers mid-session starts a new cache)',
  'cache key': 'the prompt cache key changed',
  'model server': 'the model server changed (it has none of the previous one\'s cache)',
};

/** The routing of a request. Hashed here: the model server's address may hold a key. */
export function routingOf(r: { model: string; tier: string; cacheKey: unknown; server: string }): RoutingPart[] {
  const part = (label: RoutingLabel, value: string): RoutingPart => ({ label, hash: createHash('sha256').update(value).digest('hex').slice(0, 16) });
  return [part('model', r.model), part('tier', r.tier), part('cache key', String(r.cacheKey)), part('model server', r.server)];
}

interface Seen {
  hashes: string[];
  /** Labels of the hashes before the conversation's items: the routing's parts, then the header segments'. */
  headLabels: string[];
  at: number;
  inputTokens: number;
}

/**
 * What a later process needs to judge the session's next request (the session's record keeps it). Small
 * whatever the conversation's length: its items are one hash over all of theirs, so an item rewritten
 * since is not named.
 */
export interface CacheReference {
  /** The layout of `head`: a reference of another layout (an older build's) is not judged against. */
  v: typeof REFERENCE_VERSION;
  /** The routing's parts and the segments before the conversation (instructions, tools). */
  head: { label: string; hash: string }[];
  items: number;
  itemsHash: string;
  /** Wall-clock ms of the request, and its input tokens. */
  at: number;
  inputTokens: number;
}

const REFERENCE_VERSION = 2;

/** The segment named when a conversation item differs from a reference that cannot say which. */
const CONVERSATION = 'conversation';

/** Idle time after which an in-memory cache entry is likely gone (the provider says 5–10 minutes). */
const IDLE_EXPIRY_MS = 5 * 60_000;

export class CacheTracker {
  private prev: Seen | undefined;
  /** The previous request of a run in another process, until this one has sent its own. */
  private restored: CacheReference | undefined;
  private compactedSincePrev = false;

  constructor(private readonly idleExpiryMs = IDLE_EXPIRY_MS) {}

  /** The engine compacted the conversation: the next miss is expected and said to be a reset. */
  markCompaction(): void {
    this.compactedSincePrev = true;
  }

  /** The session ran in another process before: its last request is what the next one is judged against. */
  restore(ref: CacheReference | undefined): void {
    if (!this.prev) this.restored = ref;
  }

  /** The last request, as a later process needs it (undefined before the first). */
  reference(): CacheReference | undefined {
    const p = this.prev;
    if (!p) return this.restored;
    const n = p.headLabels.length;
    return { v: REFERENCE_VERSION, head: p.headLabels.map((label, i) => ({ label, hash: p.hashes[i]! })), items: p.hashes.length - n, itemsHash: itemsHash(p.hashes.slice(n)), at: p.at, inputTokens: p.inputTokens };
  }

  expect(view: RequestView, routing: readonly RoutingPart[], now: number): Expectation {
    const hashes = [...routing.map(r => r.hash), ...view.segments.map(sg => sg.hash)];
    const labels = [...routing.map(r => r.label), ...view.segments.map(sg => sg.label)];
    const prev = this.prev;
    if (!prev) return this.restored ? againstReference(this.restored, hashes, now) : { previousTokens: 0, idleMs: 0 };
    let i = 0;
    while (i < Math.min(prev.hashes.length, hashes.length) && prev.hashes[i] === hashes[i]) i++;
    return { previousTokens: prev.inputTokens, firstDiff: i < prev.hashes.length ? labels[i] : undefined, idleMs: now - prev.at };
  }

  /**
   * Whether a request expected as `exp` kept the previous one's prefix where the cache still holds it: no
   * routing or prompt change before its end, no compaction, not idle past the cache's life.
   */
  keepsPrefix(exp: Expectation): boolean {
    return !this.compactedSincePrev && !exp.firstDiff && exp.idleMs <= this.idleExpiryMs && exp.previousTokens > 0;
  }

  /** Records the request as the new reference and says whether (and why) it broke the cache. */
  settle(view: RequestView, routing: readonly RoutingPart[], now: number, exp: Expectation, inputTokens: number, cached: number, diagnostics: unknown): BreakVerdict | undefined {
    const compacted = this.compactedSincePrev;
    this.compactedSincePrev = false;
    this.prev = {
      hashes: [...routing.map(r => r.hash), ...view.segments.map(s => s.hash)],
      headLabels: [...routing.map(r => r.label), ...view.segments.slice(0, view.headerSegments).map(s => s.label)],
      at: now,
      inputTokens,
    };
    this.restored = undefined;
    // What the previous prompt's prefix should have given had this request only appended to it.
    const expected = cacheableTokens(Math.min(exp.previousTokens, inputTokens));
    const missed = expected - cached;
    // Small shortfalls are the provider's 128-token granularity.
    if (!compacted && (expected < 1024 || missed <= Math.max(256, expected * 0.1))) return undefined;
    const provider = providerReason(diagnostics);
    if (compacted) return { segment: 'conversation', reason: 'compaction: older turns were summarised (a planned cache reset)', missedTokens: Math.max(0, missed) };
    if (exp.firstDiff && exp.firstDiff in ROUTING_REASONS) return { segment: exp.firstDiff, reason: ROUTING_REASONS[exp.firstDiff as RoutingLabel], missedTokens: missed };
    if (exp.firstDiff === 'instructions') return { segment: 'instructions', reason: withProvider('the instructions changed', provider), missedTokens: missed };
    if (exp.firstDiff === 'tools') return { segment: 'tools', reason: withProvider('the tool schemas changed (order or content)', provider), missedTokens: missed };
    if (exp.firstDiff === CONVERSATION) return { segment: CONVERSATION, reason: withProvider('an earlier conversation item was rewritten', provider), missedTokens: missed };
    if (exp.firstDiff) return { segment: exp.firstDiff, reason: withProvider(`an earlier conversation item was rewritten: ${exp.firstDiff}`, provider), missedTokens: missed };
    if (exp.idleMs > this.idleExpiryMs) {
      return { segment: 'cache', reason: `the cache expired after ${Math.round(exp.idleMs / 60_000)} min idle`, missedTokens: missed };
    }
    return { segment: 'cache', reason: withProvider('the provider did not reuse the cached prefix (routing or eviction)', provider), missedTokens: missed };
  }
}

/** Where a request differs from a reference: a head segment by its label, any item as the conversation. */
function againstReference(ref: CacheReference, hashes: readonly string[], now: number): Expectation {
  const changed = ref.head.find((h, i) => hashes[i] !== h.hash);
  const items = hashes.slice(ref.head.length);
  const rewritten = !changed && (items.length < ref.items || itemsHash(items.slice(0, ref.items)) !== ref.itemsHash);
  return { previousTokens: ref.inputTokens, firstDiff: changed?.label ?? (rewritten ? CONVERSATION : undefined), idleMs: now - ref.at };
}

function itemsHash(hashes: readonly string[]): string {
  return createHash('sha256').update(hashes.join('\n')).digest('hex').slice(0, 32);
}

/** A reference read back from a record that may have been edited by hand. */
export function isCacheReference(v: unknown): v is CacheReference {
  const r = v as CacheReference;
  return typeof v === 'object' && v !== null && r.v === REFERENCE_VERSION && Array.isArray(r.head) && r.head.every(h => typeof h?.label === 'string' && typeof h?.hash === 'string')
    && Number.isSafeInteger(r.items) && r.items >= 0 && typeof r.itemsHash === 'string' && Number.isFinite(r.at) && Number.isFinite(r.inputTokens);
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
