// A real gateway (real ledger, budgets and prices) in front of the test upstream, with a session link
// that records what the gateway tells it. For tests of the gateway itself.
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { TraceTurn, UsageRecord } from '../../../src/protocol/records';
import type { Tier } from '../../../src/protocol/types';
import { BudgetKeeper, type BudgetCaps } from '../../../src/host/budgets/budgetKeeper';
import { Gateway } from '../../../src/host/gateway/gateway';
import type { CacheReference } from '../../../src/host/gateway/cacheInsight';
import type { CacheBreak, GatewaySession, Refusal } from '../../../src/host/gateway/sessionLink';
import type { GuardDecision } from '../../../src/host/guard/loopGuard';
import type { RequestJournal } from '../../../src/host/ledger/inflightJournal';
import { Ledger } from '../../../src/host/ledger/ledger';
import { loadPriceTable } from '../../../src/host/pricing/priceTable';
import { DEFAULT_GUARD } from '../../../src/host/settings';
import type { TestUpstream } from '../../upstream/server';
import { tempDir } from './engineKit';

export class RecordingLink implements GatewaySession {
  readonly usage: { record: UsageRecord; cachedShare: number }[] = [];
  readonly breaks: CacheBreak[] = [];
  readonly decisions: GuardDecision[] = [];
  readonly turns: TraceTurn[] = [];
  currentTier: Tier = 'standard';
  caps_: BudgetCaps = { sessionUsd: null, dayUsd: null, monthUsd: null };
  refused: Refusal | undefined;
  overBudget: string[] = [];

  constructor(readonly id: string, readonly model = 'gpt-5.4', readonly repo = '/repo', readonly role = 'coder') {}
  tier(): Tier { return this.currentTier; }
  caps(): BudgetCaps { return this.caps_; }
  refusal(): Refusal | undefined { return this.refused; }
  async fingerprint(): Promise<undefined> { return undefined; }
  onUsage(record: UsageRecord, cachedShare: number): void { this.usage.push({ record, cachedShare }); }
  onCacheBreak(b: CacheBreak): void { this.breaks.push(b); }
  cacheRef: CacheReference | undefined;
  onCacheReference(ref: CacheReference): void { this.cacheRef = ref; }
  cacheReference(): CacheReference | undefined { return this.cacheRef; }
  recordTurn(turn: TraceTurn): void { this.turns.push(turn); }
  tracedTurns(): number { return this.turns.at(-1)?.turn ?? 0; }
  onGuard(d: GuardDecision): void { this.decisions.push(d); }
  readonly budgetWaits: string[] = [];
  onBudgetWait(message: string): void { this.budgetWaits.push(message); }
  onOverBudget(message: string): void { this.overBudget.push(message); }
  readonly rateWaits: string[] = [];
  onRateLimitWait(ms: number, reason: string): void { this.rateWaits.push(`${Math.ceil(ms / 1000)} s: ${reason}`); }
  readonly silences: string[] = [];
  onUpstreamSilent(silentMs: number, limitMs: number, tier: string): void { this.silences.push(`${silentMs} of ${limitMs} at ${tier}`); }
  readonly unpriced: string[] = [];
  onUnpriced(model: string): void { this.unpriced.push(model); }
  readonly tierUnpriced: string[] = [];
  onTierUnpriced(model: string, tier: string): void { this.tierUnpriced.push(`${model} ${tier}`); }
  pendingNudge(): string | undefined { return undefined; }
  nudgeDelivered(_nudge: string): void {}
}

export interface GatewayKit {
  gateway: Gateway;
  ledger: Ledger;
  clock: { now: number };
}

export interface GatewayOptions {
  apiKey?: string;
  idleExpiryMs?: number;
  clock?: { now: number };
  /** The model server's address, read at each request (a test moves it); the upstream's by default. */
  server?: { url: string };
  upstreamSilenceMs?: { other: number; flex: number; said?: number };
  /** Where requests in flight are noted ahead, as the engine notes them (none by default). */
  inflight?: RequestJournal;
  /** Where the rate-limit word is shared with other gateways, as between processes (kept to this one by default). */
  rateLimitsDir?: string;
}

/** A gateway over a fresh ledger in `dir`; close() stops both. */
export async function createGateway(dir: string, upstreamUrl: string, o: GatewayOptions = {}): Promise<GatewayKit & { close(): Promise<void> }> {
  const ledger = await Ledger.open(path.join(dir, 'ledger'));
  const prices = loadPriceTable();
  const clock = o.clock;
  const gateway = new Gateway({
    ledger,
    budgets: new BudgetKeeper({ ledger, dir: path.join(dir, 'ledger'), prices: () => prices }),
    prices: () => prices,
    upstream: () => ({ baseURL: o.server?.url ?? upstreamUrl, apiKey: o.apiKey ?? 'sk-user-key', headers: {}, isOpenAI: false }),
    guardSettings: () => DEFAULT_GUARD,
    maxOutputTokens: () => 4096,
    headless: false,
    log: () => {},
    cacheIdleExpiryMs: o.idleExpiryMs,
    upstreamSilenceMs: o.upstreamSilenceMs,
    inflight: o.inflight,
    rateLimitsDir: o.rateLimitsDir,
    now: clock ? () => clock.now : undefined,
  });
  return {
    gateway,
    ledger,
    clock: clock ?? { now: Date.now() },
    close: async () => {
      await gateway.close();
      await ledger.close();
    },
  };
}

export async function gatewayFor(t: TestContext, up: TestUpstream, o: GatewayOptions = {}): Promise<GatewayKit> {
  const kit = await createGateway(tempDir(t, 'sy-gw-'), up.url, { ...o, clock: o.clock ?? { now: Date.now() } });
  t.after(() => kit.close());
  return kit;
}

/** A request body of the Responses API, big enough (> 1024 tokens) to be cached. */
export function responsesBody(o: { instructions?: string; tools?: unknown[]; input: unknown[]; model?: string }): Record<string, unknown> {
  return {
    model: o.model ?? 'gpt-5.4',
    instructions: o.instructions ?? `You are a careful agent. ${'Follow the house rules. '.repeat(260)}`,
    tools: o.tools ?? [{ type: 'function', name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } }],
    input: o.input,
    store: false,
  };
}

export async function post(gateway: Gateway, token: string, body: Record<string, unknown>, endpoint = 'responses'): Promise<Response> {
  return gateway.fetch(`http://gateway.invalid/v1/${endpoint}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
