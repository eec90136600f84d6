// Turns a finished (or cut) upstream response into one ledger record, then releases its reservation.
// A stream cut before usage arrived is recorded from an estimate and marked as such; so is a request
// whose process died before its response ended (the record below is written ahead, see presumedRecord).
import type { UsageRecord } from '../../protocol/records';
import type { ServedTier, Tier } from '../../protocol/types';
import { costAtDearest, costOf } from '../pricing/cost';
import { priceFor } from '../pricing/priceTable';
import { fromChatUsage, fromResponsesUsage, fromServiceTier, usageReadable, type NormalizedUsage } from '../pricing/usage';
import type { Expectation, RoutingPart } from './cacheInsight';
import type { Metered } from './gateway';
import type { PipelineDeps } from './pipeline';
import { estimateTokens, type Endpoint, type RequestView } from './requestView';
import type { StreamOutcome } from './streamMeter';

/** What a request's record is made of before its response is known. */
export interface RecordBasis {
  deps: PipelineDeps;
  m: Metered;
  endpoint: Endpoint;
  model: string;
  requestedTier: Tier;
  requestBytes: number;
  /** Input the server most likely adds to the body (a chained request's context; chainContexts.ts). */
  carriedTokens: number;
  /** The conversation the request goes on in, if it names one. */
  conversation: string | undefined;
  /** The output cap the request was sent with (the reservation's): no estimate charges more output. */
  maxOutputTokens: number;
  /** The record's id, chosen before sending: the note written ahead and the record share it. */
  recordId: string;
}

export interface MeterInput extends RecordBasis {
  view: RequestView;
  started: number;
  requestId?: string;
  routing: readonly RoutingPart[];
  expectation: Expectation;
  release(): Promise<void>;
}

/**
 * The record of the request if its process dies before the response is metered: the gateway notes it before
 * sending (src/host/ledger/inflightJournal.ts), and another process appends it. Nobody saw how far the
 * answer got, and a reasoning model bills its hidden reasoning before any text streams: it is counted at the
 * most it can have cost, its whole output cap at the model's dearest price (a provider may serve another tier
 * than asked), as its reservation held it, so that no cap is passed by a process killed mid-request. Timed
 * when the request went out; its latency is unknown.
 */
export function presumedRecord(x: RecordBasis): UsageRecord {
  const usage = estimatedUsage({ ...x, streamedChars: 0, lastReasoning: x.m.lastReasoning });
  return usageRecord(x, { ...usage, output: x.maxOutputTokens }, 'unknown', { estimated: true, latencyMs: 0, atDearest: true, worstCase: true }).record;
}

export async function meterResponse(x: MeterInput, outcome: StreamOutcome): Promise<void> {
  const { deps, m } = x;
  const link = m.link;
  try {
    // Usage that cannot be billed from (a count sent as a string, a negative one) is no usage: estimated.
    const estimated = !outcome.completed || !usageReadable(x.endpoint, outcome.usage);
    const usage: NormalizedUsage = estimated
      ? estimatedUsage({ ...x, streamedChars: outcome.deltaChars, lastReasoning: m.lastReasoning, likelyCached: m.cache.keepsPrefix(x.expectation) ? m.lastCached : undefined })
      : x.endpoint === 'responses'
        ? fromResponsesUsage(outcome.usage)
        : fromChatUsage(outcome.usage);
    const servedTier = fromServiceTier(outcome.servedTier);
    const { record, boundTier } = usageRecord(x, usage, servedTier, {
      servedAs: outcome.servedTier,
      estimated,
      latencyMs: Math.max(0, deps.now() - x.started),
      requestId: x.requestId ?? outcome.responseId,
    });
    if (boundTier) link.onTierUnpriced(x.model, boundTier);
    m.lastUsage = { input: usage.input, cached: usage.cached, output: usage.output, reasoning: usage.reasoning, costUsd: record.costUsd ?? 0 };
    // A cut stream's request, or a failed response's, is sent again: the retry is the same turn, not one
    // without output.
    m.openTurn = outcome.completed && !outcome.failed ? outcome.output ?? [] : undefined;
    // A Chat stream's output is not read (only its usage is): not known, which is not none, unless it streamed nothing.
    m.openTurnUnread = outcome.output === undefined && outcome.deltaChars > 0;
    m.openTurnId = outcome.responseId;
    if (!estimated) {
      m.lastReasoning = usage.reasoning;
      m.lastCached = usage.cached;
    }
    // What a request chained to this response, or to its conversation, will be billed for on top of its body.
    if (x.endpoint === 'responses' && !estimated) deps.chains.remember(outcome.responseId, x.conversation, usage.input + usage.output);
    else deps.chains.forget(x.conversation);
    // The append counts the record as pending at once, so the session's figures already include it when
    // it is told; the durable write (slower) is awaited after, and the transcript shows the usage ahead
    // of the agent's next step.
    const durable = deps.ledger.append(record);
    try {
      link.onUsage(record, usage.input > 0 ? usage.cached / usage.input : 0);
      if (!estimated) settleCache(x, usage, outcome, servedTier);
    } finally {
      await durable;
    }
    // Durable: the note written ahead has nothing left to recover. (A failed append keeps it, so the
    // request is recorded from it if this process dies; see inflightJournal.ts.)
    deps.inflight?.end(record.id);
  } catch (err) {
    deps.log('error', `Metering a response of session ${link.id} failed: ${(err as Error).message}`);
  } finally {
    await x.release();
  }
}

/**
 * What a request is charged when its usage never arrived: its input as sent; the text seen; and, since a
 * cut stream shows its text but never its reasoning (which a reasoning model spends first and which is
 * billed all the same), as much reasoning as the session's last complete turn spent. Never more output
 * than the request allowed: the provider bills no more, and the reservation held no more. Its input is
 * counted uncached, but for `likelyCached`: for a request that only appended to the previous one while
 * the cache held it, what the previous one found cached (a floor: the previous prompt was cached whole
 * after it). A pause or stop mid-turn would otherwise cost a well-cached session's turn several times over.
 */
export function estimatedUsage(e: { requestBytes: number; carriedTokens?: number; streamedChars: number; lastReasoning: number | undefined; maxOutputTokens: number; likelyCached?: number }): NormalizedUsage {
  const cap = e.maxOutputTokens;
  const reasoning = Math.min(e.lastReasoning ?? 0, cap);
  // A chained request is billed for the context the server adds, however small its body.
  const input = estimateTokens(e.requestBytes) + (e.carriedTokens ?? 0);
  return { input, cached: Math.min(e.likelyCached ?? 0, input), cacheWrite: 0, output: Math.min(Math.ceil(e.streamedChars / 4) + reasoning, cap), reasoning };
}

/** The record, and the tier it was served at when that tier has no price here (its cost is then a bound). */
function usageRecord(x: RecordBasis, usage: NormalizedUsage, servedTier: ServedTier, o: RecordFacts & { servedAs?: string; atDearest?: boolean }): { record: UsageRecord; boundTier?: string } {
  const prices = x.deps.prices();
  // A worst case is counted at the dearest tier: none was said.
  if (o.atDearest) {
    const worst = costAtDearest(prices, x.model, usage);
    if (worst.costUsd != null) return { record: recordOf(x, usage, servedTier, o, worst, false) };
  }
  // Cost follows the tier served. A response that names none (or "auto") is billed at the tier asked for;
  // one that names a tier without a price here (ultrafast; flex where a model has none) at the model's
  // dearest known price, counted as an estimate: the nearest bound there is (a tier dearer than any
  // priced, such as ultrafast, still costs more).
  const named = o.servedAs?.trim().toLowerCase();
  const billed = servedTier !== 'unknown' ? servedTier : named && named !== 'auto' ? undefined : x.requestedTier;
  const exact = billed ? costOf(prices, x.model, billed, usage) : undefined;
  const dearest = exact?.costUsd == null ? costAtDearest(prices, x.model, usage) : undefined;
  const bound = dearest?.costUsd != null;
  const cost = bound ? dearest! : exact ?? { costUsd: null, standardCostUsd: null };
  return { record: recordOf(x, usage, servedTier, o, cost, bound), ...(bound ? { boundTier: billed ?? named! } : {}) };
}

interface RecordFacts {
  estimated: boolean;
  worstCase?: boolean;
  latencyMs: number;
  requestId?: string;
}

function recordOf(x: RecordBasis, usage: NormalizedUsage, servedTier: ServedTier, o: RecordFacts, cost: { costUsd: number | null; standardCostUsd: number | null }, bound: boolean): UsageRecord {
  const link = x.m.link;
  const record: UsageRecord = {
    id: x.recordId,
    ts: new Date().toISOString(),
    sessionId: link.id,
    repo: link.repo,
    role: link.role,
    model: x.model,
    requestedTier: x.requestedTier,
    servedTier,
    input: usage.input,
    cached: usage.cached,
    cacheWrite: usage.cacheWrite,
    output: usage.output,
    reasoning: usage.reasoning,
    costUsd: cost.costUsd,
    standardCostUsd: cost.standardCostUsd,
    ...(o.requestId ? { requestId: o.requestId } : {}),
    latencyMs: o.latencyMs,
    ...(o.estimated || bound ? { estimated: true } : {}),
    ...(bound ? { costBound: true } : {}),
    ...(o.worstCase ? { worstCase: true } : {}),
    endpoint: x.endpoint,
  };
  return record;
}

/** Compares the cached share with what the prompt's stable prefix should have hit; a break is told. */
function settleCache(x: MeterInput, usage: NormalizedUsage, outcome: StreamOutcome, servedTier: ServedTier): void {
  const verdict = x.m.cache.settle(x.view, x.routing, x.started, x.expectation, usage.input, usage.cached, outcome.cacheDiagnostics);
  const ref = x.m.cache.reference();
  if (ref) x.m.link.onCacheReference(ref);
  if (!verdict) return;
  const price = priceFor(x.deps.prices(), x.model, servedTier === 'unknown' ? x.requestedTier : servedTier);
  const lostUsd = price ? (Math.max(0, verdict.missedTokens) * (price.input - price.cachedInput)) / 1e6 : 0;
  x.m.link.onCacheBreak({ turn: x.m.requests, segment: verdict.segment, reason: verdict.reason, lostUsd });
}
