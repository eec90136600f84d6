// Fleet-wide rate-limit awareness: the provider's x-ratelimit-* headers say how much is left; when
// little is left, new requests wait for the window to reset instead of a hundred agents collecting 429s.
import { parseDuration, rateLimitResetMs, retryAfterMs } from '../util/retryAfter';

export interface RateLimitSnapshot {
  remainingRequests?: number;
  limitRequests?: number;
  remainingTokens?: number;
  limitTokens?: number;
  /** Epoch ms when each window resets: a request waits for the reset of the window that is nearly spent. */
  requestsResetAt?: number;
  tokensResetAt?: number;
  /** Set after a 429: nobody sends before this time. */
  blockedUntil?: number;
}

/** Below this share of the window left, slow down. */
const LOW_WATER = 0.02;
const MAX_WAIT_MS = 60_000;

export class RateLimitGate {
  private s: RateLimitSnapshot = {};

  get snapshot(): Readonly<RateLimitSnapshot> {
    return this.s;
  }

  observe(headers: Headers, status: number, now = Date.now()): void {
    const num = (name: string) => {
      const v = headers.get(name);
      return v === null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
    };
    const remainingRequests = num('x-ratelimit-remaining-requests');
    const remainingTokens = num('x-ratelimit-remaining-tokens');
    if (remainingRequests !== undefined || remainingTokens !== undefined) {
      const resetAt = (name: string) => {
        const ms = parseDuration(headers.get(name));
        return ms === undefined ? undefined : now + ms;
      };
      this.s = {
        remainingRequests,
        limitRequests: num('x-ratelimit-limit-requests'),
        remainingTokens,
        limitTokens: num('x-ratelimit-limit-tokens'),
        requestsResetAt: resetAt('x-ratelimit-reset-requests'),
        tokensResetAt: resetAt('x-ratelimit-reset-tokens'),
        blockedUntil: this.s.blockedUntil,
      };
    }
    if (status === 429) {
      const after = retryAfterMs(headers, now) ?? rateLimitResetMs(headers) ?? 1000;
      this.s.blockedUntil = Math.max(this.s.blockedUntil ?? 0, now + Math.min(after, MAX_WAIT_MS));
    }
  }

  /**
   * How long a new request should wait now (0: go). `tokens`: what it counts against the token window (its
   * input and output cap, as the provider counts it): one that would not fit in what is left waits too.
   */
  delayMs(now = Date.now(), tokens = 0): number {
    const s = this.s;
    let until = s.blockedUntil && s.blockedUntil > now ? s.blockedUntil : 0;
    const low = (rem?: number, lim?: number, needed = 1) => rem !== undefined && lim !== undefined && lim > 0 && (rem <= Math.max(1, lim * LOW_WATER) || rem < needed);
    // Only a window nearly spent holds requests back, until its own reset (the other may reset much later).
    if (low(s.remainingRequests, s.limitRequests) && s.requestsResetAt && s.requestsResetAt > now) until = Math.max(until, s.requestsResetAt);
    // A request bigger than the whole window would wait for ever: it goes, and the provider says.
    const fits = s.limitTokens === undefined || tokens <= s.limitTokens;
    if (low(s.remainingTokens, s.limitTokens, fits ? tokens : 0) && s.tokensResetAt && s.tokensResetAt > now) until = Math.max(until, s.tokensResetAt);
    return until ? Math.min(until - now, MAX_WAIT_MS) : 0;
  }

  /** Why a request waits now, in words (undefined when it does not). */
  reason(now = Date.now(), tokens = 0): string | undefined {
    const s = this.s;
    if (s.blockedUntil && s.blockedUntil > now) return 'the provider answered 429 (too many requests)';
    const left = (rem: number | undefined, lim: number | undefined, what: string) => (rem !== undefined && lim !== undefined ? `${rem} of ${lim} ${what}` : undefined);
    const parts = [left(s.remainingRequests, s.limitRequests, 'requests'), left(s.remainingTokens, s.limitTokens, 'tokens')].filter(Boolean);
    return this.delayMs(now, tokens) > 0 ? `${parts.join(' and ')} left in the provider's rate-limit window` : undefined;
  }

  async wait(signal?: AbortSignal, tokens = 0): Promise<number> {
    const ms = this.delayMs(Date.now(), tokens);
    if (ms <= 0) return 0;
    await new Promise<void>(resolve => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
    });
    // Whoever waited consumes one request of the fresh window.
    if (this.s.remainingRequests !== undefined) this.s.remainingRequests = Math.max(0, this.s.remainingRequests - 1);
    return ms;
  }
}
