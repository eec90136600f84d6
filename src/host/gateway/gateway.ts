// The metering gateway: one OpenAI-compatible endpoint every agent calls, in front of the configured
// upstream. It is the one place a model request is authorised (per-session token), given the session's
// tier and cache key, reserved against budgets, shown to the loop guard, forwarded with the user's real
// key, and metered into the ledger. The built-in agent calls it in-process (as its `fetch`); external
// agents call it over HTTP on 127.0.0.1.
import { randomBytes } from 'node:crypto';
import type { GuardSettings } from '../../protocol/host';
import type { RequestJournal } from '../ledger/inflightJournal';
import type { Ledger } from '../ledger/ledger';
import type { PriceTable } from '../pricing/priceTable';
import { CacheTracker } from './cacheInsight';
import { GuardFeed } from './guardFeed';
import type { AgentItem } from './requestView';
import { ChainContexts } from './chainContexts';
import { forwardModelRequest, type PipelineDeps } from './pipeline';
import { RateLimitGate } from './rateLimiter';
import { SharedRateLimits } from './sharedRateLimits';
import { apiUrl, errorResponse, shownUrl } from './responses';
import { startGatewayServer, type GatewayServer } from './server';
import type { GatewaySession } from './sessionLink';
import { readText, UpstreamClient } from './upstreamClient';
import { LoopGuard } from '../guard/loopGuard';
import { guardAfter, type SavedGuard } from '../guard/replay';
import type { TraceTurn } from '../../protocol/records';
import type { BudgetKeeper } from '../budgets/budgetKeeper';

export interface UpstreamConfig {
  baseURL: string;
  apiKey?: string;
  headers: Record<string, string>;
  isOpenAI: boolean;
}

export interface GatewayOptions {
  ledger: Ledger;
  budgets: BudgetKeeper;
  prices(): PriceTable;
  upstream(): UpstreamConfig;
  guardSettings(): GuardSettings;
  maxOutputTokens(): number;
  headless: boolean;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Where requests in flight are noted ahead, so a process that dies mid-request still has them recorded. None: not noted (tests). */
  inflight?: RequestJournal;
  /** A reservation was released (what the meter shows as "reserved" changed), or a cap refused a request (it stops work now). */
  onBudgetChanged?(): void;
  /** Idle time after which a cache miss is put down to expiry (tests shorten it). */
  cacheIdleExpiryMs?: number;
  /**
   * How long the model server may stay silent before a request fails (tests shorten it); flex waits longer.
   * `said`: after how long a silence is said in the session's transcript.
   */
  upstreamSilenceMs?: { other: number; flex: number; said?: number };
  /** The clock for latency and cache idle time (tests move it). */
  now?: () => number;
  /** Where the provider's rate-limit word is shared with the other processes on the machine. None: kept to this one. */
  rateLimitsDir?: string;
}

/** Per-session state the gateway keeps between requests. */
export interface Metered {
  link: GatewaySession;
  token: string;
  guard: LoopGuard;
  feed: GuardFeed;
  cache: CacheTracker;
  /** Usage of the last completed response, attached to the turn the next request completes. */
  lastUsage?: { input: number; cached: number; output: number; reasoning: number; costUsd: number };
  /** Reasoning tokens of the last complete response: the estimate for a cut one's hidden reasoning. */
  lastReasoning?: number;
  /** Cached input tokens of the last complete response: what a cut one that only appended found cached, at least. */
  lastCached?: number;
  /** The last response's text and calls while no request has followed it (its turn is not yet recorded). */
  openTurn?: AgentItem[];
  /** The id of the response openTurn is (a chained request goes on from it by this id). */
  openTurnId?: string;
  /** openTurn is empty because the response's output was not read (a Chat stream's), not because it had none. */
  openTurnUnread?: boolean;
  lastHash?: string;
  pending: Set<Promise<void>>;
  /** Requests being forwarded, until they have an answer or have failed (their metering is then pending). */
  forwarding: Set<Promise<void>>;
  requests: number;
}

const TOKEN_PREFIX = 'sy-session-';

export class Gateway {
  private readonly byToken = new Map<string, Metered>();
  private readonly bySession = new Map<string, Metered>();
  private server: GatewayServer | undefined;
  private readonly client = new UpstreamClient();
  readonly rateLimits: RateLimitGate;
  /** Of every session here: an agent may chain to a response another session of this process had. */
  private readonly chains = new ChainContexts();

  constructor(private readonly opts: GatewayOptions) {
    this.rateLimits = new RateLimitGate(opts.rateLimitsDir ? new SharedRateLimits(opts.rateLimitsDir, message => opts.log('warn', message)) : undefined);
  }

  /** Registers a session and returns the token its agent must present (never the user's API key). */
  register(link: GatewaySession, token?: string): string {
    // A resumed session keeps its guard, cache insight and turn count: a loop after a resume is still
    // the same loop. (In a process that did not run it before, resumeSession rebuilds the guard from the
    // trace, and the cache is judged against the record's reference.)
    const existing = this.bySession.get(link.id);
    if (existing && (!token || token === existing.token)) {
      existing.link = link;
      return existing.token;
    }
    this.unregister(link.id);
    const t = token ?? TOKEN_PREFIX + randomBytes(24).toString('base64url');
    const m: Metered = {
      link,
      token: t,
      guard: this.newGuard(link),
      feed: new GuardFeed(link.tracedTurns()),
      cache: new CacheTracker(this.opts.cacheIdleExpiryMs),
      pending: new Set(),
      forwarding: new Set(),
      requests: 0,
    };
    // Run in another process before: its last request is what the next one's cache is judged against.
    m.cache.restore(link.cacheReference());
    this.byToken.set(t, m);
    this.bySession.set(link.id, m);
    return t;
  }

  unregister(sessionId: string): void {
    const m = this.bySession.get(sessionId);
    if (!m) return;
    this.bySession.delete(sessionId);
    this.byToken.delete(m.token);
  }

  /**
   * The session's guard as it stood after these turns of its trace: for a session another process ran.
   * Undefined when the guard settings cannot make one (a fresh guard, with the defaults, is made then).
   */
  guardAfter(link: GatewaySession, turns: readonly TraceTurn[], saved?: SavedGuard): LoopGuard | undefined {
    try {
      return guardAfter(turns, this.opts.guardSettings(), { headless: this.opts.headless, tier: turns[0]?.tier ?? link.tier() }, saved);
    } catch {
      return undefined;
    }
  }

  /** Registers a session with a guard rebuilt by guardAfter, before its run registers it. */
  adoptGuard(link: GatewaySession, guard: LoopGuard): void {
    this.register(link);
    // The trace's last tier is not the session's when the user changed it while it was paused.
    guard.tierChanged(link.tier());
    this.bySession.get(link.id)!.guard = guard;
  }

  /** The trace's last turn as this process numbered it, for a session it has registered. */
  tracedTurnsOf(sessionId: string): number | undefined {
    return this.bySession.get(sessionId)?.feed.turns;
  }

  private newGuard(link: GatewaySession): LoopGuard {
    try {
      return new LoopGuard(this.opts.guardSettings(), { headless: this.opts.headless, tier: link.tier() });
    } catch (err) {
      // The default thresholds, and the on/off switch when it is one: a guard that cannot be made would stop the session starting.
      this.opts.log('warn', `Loop guard settings: ${(err as Error).message}; using the defaults.`);
      const { enabled } = this.opts.guardSettings();
      return new LoopGuard(typeof enabled === 'boolean' ? { enabled } : {}, { headless: this.opts.headless, tier: link.tier() });
    }
  }

  /** The session's guard, e.g. to resume it with a hint. */
  guardOf(sessionId: string): LoopGuard | undefined {
    return this.bySession.get(sessionId)?.guard;
  }

  cacheOf(sessionId: string): CacheTracker | undefined {
    return this.bySession.get(sessionId)?.cache;
  }

  /** Waits until every response of the session has been metered into the ledger. */
  async drain(sessionId: string): Promise<void> {
    const m = this.bySession.get(sessionId);
    while (m && (m.pending.size || m.forwarding.size)) await Promise.allSettled([...m.pending, ...m.forwarding]);
  }

  /**
   * The session's run ended for good: its last response, which no request will follow, becomes the
   * trace's last turn (calls without outputs), so the trace's costs add up to the session's. The guard
   * does not judge it; there is nothing left to stop. A later run starts a fresh baseline.
   */
  async closeTurns(sessionId: string): Promise<void> {
    const m = this.bySession.get(sessionId);
    const items = m?.openTurn;
    if (!m || !items) return;
    m.openTurn = undefined;
    m.feed.restart();
    const fp = await m.link.fingerprint().catch(() => undefined);
    m.link.recordTurn({ ...m.feed.toTrace(items, m.lastUsage, fp?.changed ?? [], fp?.hash, m.link.tier()), closed: true });
  }

  /** `fetch` for the built-in agent: the same pipeline as HTTP, without a loopback hop. */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // The SDK passes a URL string and a string body: read them as they are. Building a Request only to
    // read its body back out cost a third of a millisecond a turn.
    if (typeof input === 'string' && (typeof init?.body === 'string' || init?.body == null)) {
      const method = init?.method?.toUpperCase() ?? 'GET';
      const headers = init?.headers instanceof Headers ? init.headers : new Headers(init?.headers);
      return this.handle(method, new URL(input).pathname, headers, method === 'GET' ? '' : (init?.body ?? ''), init?.signal ?? undefined);
    }
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const body = req.method === 'GET' ? '' : await req.text();
    return this.handle(req.method, url.pathname, req.headers, body, init?.signal ?? req.signal);
  };

  async listen(): Promise<number> {
    this.server ??= await startGatewayServer((method, path, headers, body, signal) => this.handle(method, path, headers, body, signal));
    return this.server.port;
  }

  get port(): number {
    return this.server?.port ?? 0;
  }

  /** Base URL an external agent uses (its OPENAI_BASE_URL). */
  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.bySession.values()].flatMap(m => [...m.pending]));
    await this.rateLimits.settled();
    await this.server?.close();
    this.server = undefined;
    this.client.close();
  }

  async handle(method: string, path: string, headers: Headers, body: string, signal?: AbortSignal): Promise<Response> {
    const route = path.replace(/^\/v1(?=\/)/, '');
    const auth = headers.get('authorization') ?? '';
    const token = auth.replace(/^Bearer\s+/i, '').trim() || headers.get('api-key') || '';
    const m = this.byToken.get(token);
    if (!m) {
      return errorResponse(401, 'Switchyard gateway: missing or unknown session token. Agents get their token from Switchyard; the API key is never handed out.', 'invalid_api_key');
    }
    // A model's id may hold a slash (vLLM and OpenRouter names: org/model).
    if (method === 'GET' && /^\/models(\/[^?#]+)?$/.test(route)) return this.forwardModels(route.slice(1), signal);
    if (method !== 'POST' || (route !== '/responses' && route !== '/chat/completions')) {
      return errorResponse(404, `Switchyard gateway: ${method} ${path} is not supported (use /v1/responses or /v1/chat/completions).`, 'not_found');
    }
    const deps: PipelineDeps = { ...this.opts, now: this.opts.now ?? Date.now, rateLimits: this.rateLimits, client: this.client, chains: this.chains };
    const forwarded = forwardModelRequest(deps, m, route === '/responses' ? 'responses' : 'chat', body, signal);
    // A request under way is metered when it ends, answered or not (an agent killed mid-request): until
    // then drain() waits for it too, so what a finished run reports is all there is.
    const done = forwarded.then(() => undefined, () => undefined);
    m.forwarding.add(done);
    void done.finally(() => m.forwarding.delete(done));
    return forwarded;
  }

  /** GET /v1/models, or /v1/models/{id}: the model server's answer, with the user's key. */
  private async forwardModels(route: string, signal?: AbortSignal): Promise<Response> {
    const up = this.opts.upstream();
    try {
      const res = await this.client.request('GET', apiUrl(up.baseURL, route), { ...up.headers, ...(up.apiKey ? { authorization: `Bearer ${up.apiKey}` } : {}) }, undefined, signal);
      return new Response(await readText(res.body), { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? 'application/json' } });
    } catch (err) {
      return errorResponse(502, `Switchyard gateway: the model server at ${shownUrl(up.baseURL)} cannot be reached (${(err as Error).message}).`, 'upstream_unreachable', 'server_error');
    }
  }
}
