// Fleet-wide rate-limit awareness: the provider's x-ratelimit-* headers say how much is left; when
// little is left, new requests wait for the window to reset instead of a hundred agents collecting 429s.
// What one process hears is shared with the others sending to the same server with the same key
// (sharedRateLimits.ts), and each counts what it sent since the last word it has.
import { parseDuration, rateLimitResetMs, retryAfterMs } from '../util/retryAfter';
import { sleepUnlessAborted } from '../util/sleep';
import { rateLimitKey, type SharedRateLimits, type SharedRateWord } from './sharedRateLimits';

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
/** The longest a request is held here (and its spread): then it goes, and the provider says; a 429 asking for over five minutes pauses the built-in agent. */
const MAX_WAIT_MS = 60_000;
/**
 * Requests held for one reset go out spread over up to this long, not in one burst: the first answers' word
 * of what is left then reaches the rest (here and in other processes) before they all go.
 */
const SPREAD_MS = 2_000;
/** Requests sent since the last word are remembered up to this many (a server that never says is not counted). */
const MAX_SENDS = 10_000;

export class RateLimitGate {
  /** The last word heard, here or from another process, and when the request it answered was sent. */
  private s: RateLimitSnapshot = {};
  private observedAt = 0;
  /** Requests this process sent since that word: the provider has counted them, the word has not. */
  private sends: Array<{ at: number; tokens: number }> = [];
  private key: string | undefined;
  private keyOf = { baseURL: '', apiKey: '' as string | undefined, key: '' };

  constructor(private readonly shared?: SharedRateLimits) {}

  /** What is left as this process reckons it: the last word, less what was sent since. */
  get snapshot(): Readonly<RateLimitSnapshot> {
    return this.reckoned(Date.now());
  }

  /**
   * The server and key requests go to now (another has windows of its own), and the other processes' last
   * word about them when it is newer than this one's.
   */
  async catchUp(baseURL: string, apiKey: string | undefined, now = Date.now()): Promise<void> {
    if (baseURL !== this.keyOf.baseURL || apiKey !== this.keyOf.apiKey) this.keyOf = { baseURL, apiKey, key: rateLimitKey(baseURL, apiKey) };
    const key = this.keyOf.key;
    if (key !== this.key) {
      // What was heard before any request went (nothing, but in tests) is about this server.
      if (this.key !== undefined) {
        this.s = {};
        this.observedAt = 0;
        this.sends = [];
      }
      this.key = key;
    }
    const word = await this.shared?.read(key, now);
    if (word && this.key === key) this.adopt(word);
  }

  /** A request goes: it counts against both windows until a word newer than it says. */
  sent(tokens: number, now = Date.now()): void {
    if (this.s.remainingRequests === undefined && this.s.remainingTokens === undefined) return;
    if (this.sends.length >= MAX_SENDS) this.sends.shift();
    this.sends.push({ at: now, tokens });
  }

  /**
   * The provider's word, in the headers of an answer that came `now` to a request sent at `sentAt`: it has
   * counted what was sent before that request, not what went out while it was on its way.
   */
  observe(headers: Headers, status: number, now = Date.now(), sentAt = now): void {
    const num = (name: string) => {
      const v = headers.get(name);
      return v === null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
    };
    const remainingRequests = num('x-ratelimit-remaining-requests');
    const remainingTokens = num('x-ratelimit-remaining-tokens');
    let heard = false;
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
      this.heardAt(sentAt);
      heard = true;
    }
    if (status === 429) {
      const after = retryAfterMs(headers, now) ?? rateLimitResetMs(headers) ?? 1000;
      this.s.blockedUntil = Math.max(this.s.blockedUntil ?? 0, now + Math.min(after, MAX_WAIT_MS));
      heard = true;
    }
    if (heard && this.key !== undefined) this.shared?.publish(this.key, { observedAt: this.observedAt || sentAt, snapshot: { ...this.s } });
  }

  /**
   * How long a new request should wait now (0: go). `tokens`: what it counts against the token window (its
   * input and output cap, as the provider counts it): one that would not fit in what is left waits too.
   */
  delayMs(now = Date.now(), tokens = 0): number {
    const s = this.reckoned(now);
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
    const s = this.reckoned(now);
    if (s.blockedUntil && s.blockedUntil > now) return 'the provider answered 429 (too many requests), and every request to it waits out the time it asked for (a minute at most)';
    const left = (rem: number | undefined, lim: number | undefined, what: string) => (rem !== undefined && lim !== undefined ? `${rem} of ${lim} ${what}` : undefined);
    const parts = [left(s.remainingRequests, s.limitRequests, 'requests'), left(s.remainingTokens, s.limitTokens, 'tokens')].filter(Boolean);
    return this.delayMs(now, tokens) > 0 ? `${parts.join(' and ')} left in the provider's rate-limit window; requests slow down before it refuses them` : undefined;
  }

  /**
   * Waits until a request of `tokens` may go, and counts it as sent: counted here, with no wait between the
   * look and the count, requests arriving together do not all pass on what is left for one. One the budget
   * then refuses stays counted until the next word, which errs on the side of waiting.
   */
  async wait(signal?: AbortSignal, tokens = 0, spread: () => number = Math.random): Promise<number> {
    let waited = 0;
    // Looked at again after each wait (the word the first requests after a reset bring may hold this one
    // back), up to a minute in all: then it goes, and the provider says.
    for (let held = this.delayMs(Date.now(), tokens); held > 0 && waited < MAX_WAIT_MS && !signal?.aborted; held = await this.lookAgain(tokens)) {
      // Spread past the minute too (two seconds at most): requests held the whole minute would go together.
      const ms = Math.min(held, MAX_WAIT_MS - waited) + Math.floor(spread() * Math.min(SPREAD_MS, held / 4));
      await sleepUnlessAborted(ms, signal);
      waited += ms;
    }
    // A request cancelled while it waited is not sent: it does not count against the window.
    if (!signal?.aborted) this.sent(tokens);
    return waited;
  }

  /** Resolves when the last word heard here has been shared. */
  async settled(): Promise<void> {
    await this.shared?.settled();
  }

  /** The wait still due after one has passed, with the other processes' newest word. */
  private async lookAgain(tokens: number): Promise<number> {
    const key = this.key;
    const word = key === undefined ? undefined : await this.shared?.read(key, Date.now());
    if (word && this.key === key) this.adopt(word);
    return this.delayMs(Date.now(), tokens);
  }

  private adopt(word: SharedRateWord): void {
    const blockedUntil = Math.max(this.s.blockedUntil ?? 0, word.snapshot.blockedUntil ?? 0) || undefined;
    if (word.observedAt > this.observedAt) {
      this.s = { ...word.snapshot };
      this.heardAt(word.observedAt);
    }
    this.s.blockedUntil = blockedUntil;
  }

  /** A word about the window as it stood when a request went at `at`: what was sent before, it has counted. */
  private heardAt(at: number): void {
    this.observedAt = at;
    const firstAfter = this.sends.findIndex(send => send.at > at);
    this.sends = firstAfter < 0 ? [] : this.sends.slice(firstAfter);
  }

  private reckoned(now: number): RateLimitSnapshot {
    const s = this.s;
    if (!this.sends.length) return s;
    const tokens = this.sends.reduce((sum, send) => sum + send.tokens, 0);
    // A window that has reset since the word is not counted down: what is left in it is not known.
    const fresh = (resetAt?: number) => resetAt === undefined || resetAt > now;
    return {
      ...s,
      remainingRequests: s.remainingRequests !== undefined && fresh(s.requestsResetAt) ? Math.max(0, s.remainingRequests - this.sends.length) : s.remainingRequests,
      remainingTokens: s.remainingTokens !== undefined && fresh(s.tokensResetAt) ? Math.max(0, s.remainingTokens - tokens) : s.remainingTokens,
    };
  }
}
