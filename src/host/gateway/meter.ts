// Turns a finished (or cut) upstream response into one ledger record, then releases its reservation.
// A stream cut before usage arrived is recorded from an estimate and marked as such.
import { randomUUID } from 'node:crypto';
import type { UsageRecord } from '../../protocol/records';
import type { ServedTier, Tier } from '../../protocol/types';
import { costOf } from '../pricing/cost';
import { priceFor } from '../pricing/priceTable';
import { fromChatUsage, fromResponsesUsage, fromServiceTier, type NormalizedUsage } from '../pricing/usage';
import type { Expectation } from './cacheInsight';
import type { Metered } from './gateway';
import type { PipelineDeps } from './pipeline';
import { estimateTokens, type Endpoint, type RequestView } from './requestView';
import type { StreamOutcome } from './streamMeter';

export interface MeterInput {
  deps: PipelineDeps;
  m: Metered;
  endpoint: Endpoint;
  model: string;
  requestedTier: Tier;
  view: RequestView;
  requestBytes: number;
  started: number;
  requestId?: string;
  routing: string;
  expectation: Expectation;
  release(): Promise<void>;
}

export async function meterResponse(x: MeterInput, outcome: StreamOutcome): Promise<void> {
  const { deps, m } = x;
  const link = m.link;
  try {
    const estimated = !outcome.completed || !outcome.usage;
    // A cut stream shows its text, never its reasoning, which a reasoning model spends first and which is
    // billed all the same: the session's last complete turn says how much it tends to spend there.
    const reasoning = estimated ? m.lastReasoning ?? 0 : 0;
    const usage: NormalizedUsage = estimated
      ? { input: estimateTokens(x.requestBytes), cached: 0, cacheWrite: 0, output: Math.ceil(outcome.deltaChars / 4) + reasoning, reasoning }
      : x.endpoint === 'responses'
        ? fromResponsesUsage(outcome.usage)
        : fromChatUsage(outcome.usage);
    const servedTier = fromServiceTier(outcome.servedTier);
    const prices = deps.prices();
    const cost = costOf(prices, x.model, servedTier === 'unknown' ? x.requestedTier : servedTier, usage);
    const record: UsageRecord = {
      id: randomUUID(),
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
      ...(outcome.responseId || x.requestId ? { requestId: x.requestId ?? outcome.responseId } : {}),
      latencyMs: Math.max(0, deps.now() - x.started),
      ...(estimated ? { estimated: true } : {}),
      endpoint: x.endpoint,
    };
    m.lastUsage = { input: usage.input, cached: usage.cached, output: usage.output, reasoning: usage.reasoning, costUsd: cost.costUsd ?? 0 };
    m.openTurn = outcome.output ?? [];
    if (!estimated) m.lastReasoning = usage.reasoning;
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
  } catch (err) {
    deps.log('error', `Metering a response of session ${link.id} failed: ${(err as Error).message}`);
  } finally {
    await x.release();
  }
}

/** Compares the cached share with what the prompt's stable prefix should have hit; a break is told. */
function settleCache(x: MeterInput, usage: NormalizedUsage, outcome: StreamOutcome, servedTier: ServedTier): void {
  const verdict = x.m.cache.settle(x.view, x.routing, x.started, x.expectation, usage.input, usage.cached, outcome.cacheDiagnostics);
  if (!verdict) return;
  const price = priceFor(x.deps.prices(), x.model, servedTier === 'unknown' ? x.requestedTier : servedTier);
  const lostUsd = price ? (Math.max(0, verdict.missedTokens) * (price.input - price.cachedInput)) / 1e6 : 0;
  x.m.link.onCacheBreak({ turn: x.m.requests, segment: verdict.segment, reason: verdict.reason, lostUsd });
}
