// Request and token limits per window (a minute, as the provider's) behind the x-ratelimit-* headers it sends.
import type { RateLimit } from './types';

export const DEFAULT_RATE_LIMIT: RateLimit = { requests: 10_000, tokens: 10_000_000 };
const MINUTE_MS = 60_000;

export interface RateDecision {
  headers: Record<string, string>;
  /** Which limit the request would pass; it is then not counted. */
  exceeded?: 'requests' | 'tokens';
  /** Seconds until the window resets. */
  retryAfterSec: number;
}

export class RateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private requests = 0;
  private tokens = 0;

  constructor(
    private readonly limit: () => RateLimit,
    private readonly now: () => number,
  ) {}

  take(tokens: number): RateDecision {
    const now = this.now();
    const limit = this.limit();
    const windowMs = limit.windowMs ?? MINUTE_MS;
    if (now - this.windowStart >= windowMs) {
      this.windowStart = now;
      this.requests = 0;
      this.tokens = 0;
    }
    let exceeded: RateDecision['exceeded'];
    if (this.requests + 1 > limit.requests) exceeded = 'requests';
    else if (this.tokens + tokens > limit.tokens) exceeded = 'tokens';
    else {
      this.requests++;
      this.tokens += tokens;
    }
    const resetMs = Math.max(0, this.windowStart + windowMs - now);
    const headers = {
      'x-ratelimit-limit-requests': String(limit.requests),
      'x-ratelimit-limit-tokens': String(limit.tokens),
      'x-ratelimit-remaining-requests': String(Math.max(0, limit.requests - this.requests)),
      'x-ratelimit-remaining-tokens': String(Math.max(0, limit.tokens - this.tokens)),
      'x-ratelimit-reset-requests': formatReset(this.requests ? resetMs : 0),
      'x-ratelimit-reset-tokens': formatReset(this.tokens ? resetMs : 0),
    };
    return { headers, ...(exceeded ? { exceeded } : {}), retryAfterSec: Math.ceil(resetMs / 1000) };
  }
}

/** The provider's duration format: "20ms", "1.5s", "6m0s". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSec = ms / 1000;
  const minutes = Math.floor(totalSec / 60);
  const seconds = Number((totalSec - minutes * 60).toFixed(3));
  return minutes ? `${minutes}m${seconds}s` : `${seconds}s`;
}
