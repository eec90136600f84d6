// What a response cost, exact to the micro-dollar.
import type { ServedTier, Tier } from '../../protocol/types';
import type { PriceTable, UnitPrice } from './priceTable';
import { dearestUnitPrice, PRICE_UNITS_PER_USD, unitPriceFor } from './priceTable';
import type { NormalizedUsage } from './usage';

export interface Cost {
  /** Null when the model (or the tier) has no price: "unpriced", never $0. */
  costUsd: number | null;
  /** The same usage at standard prices, for the priority premium. Null when unpriced. */
  standardCostUsd: number | null;
}

// cost in micro-dollars = tokens x units / UNITS_PER_MICRO (see PRICE_UNITS_PER_USD).
const UNITS_PER_MICRO = PRICE_UNITS_PER_USD;

/**
 * Cost follows the tier the response was served at; pass the requested tier only when the response
 * did not say. Reasoning tokens are part of output and are not billed again.
 */
export function costOf(table: PriceTable, model: string, tier: ServedTier | Tier, usage: NormalizedUsage): Cost {
  const price = unitPriceFor(table, model, tier);
  const standard = unitPriceFor(table, model, 'standard');
  return {
    costUsd: price ? microToUsd(costMicro(price, usage)) : null,
    standardCostUsd: price && standard ? microToUsd(costMicro(standard, usage)) : null,
  };
}

/**
 * At the model's dearest price over its tiers (component-wise): what a response served at a tier the model
 * has no price for is counted at, an upper bound, so the caps still hold. Null when the model has no price.
 */
export function costAtDearest(table: PriceTable, model: string, usage: NormalizedUsage): Cost {
  const price = dearestUnitPrice(table, model);
  const standard = unitPriceFor(table, model, 'standard');
  return {
    costUsd: price ? microToUsd(costMicro(price, usage)) : null,
    standardCostUsd: price && standard ? microToUsd(costMicro(standard, usage)) : null,
  };
}

/** Integer micro-dollars, rounded half up once over the whole response. */
export function costMicro(price: UnitPrice, usage: NormalizedUsage): number {
  const cached = BigInt(usage.cached);
  const cacheWrite = BigInt(usage.cacheWrite);
  let uncached = BigInt(usage.input) - cached - cacheWrite;
  if (uncached < 0n) uncached = 0n;
  const units =
    uncached * price.input + cached * price.cachedInput + cacheWrite * price.cacheWrite + BigInt(usage.output) * price.output;
  return Number((units + UNITS_PER_MICRO / 2n) / UNITS_PER_MICRO);
}

/** Worst-case cost bound in micro-dollars, rounded up: never less than costMicro of any usage within the bounds. */
export function worstCaseMicro(inputUnitsPerToken: bigint, outputUnitsPerToken: bigint, inputTokens: number, outputTokens: number): number {
  const units = BigInt(inputTokens) * inputUnitsPerToken + BigInt(outputTokens) * outputUnitsPerToken;
  return Number((units + UNITS_PER_MICRO - 1n) / UNITS_PER_MICRO);
}

export function microToUsd(micro: number): number {
  return micro / 1_000_000;
}

/** Dollar amounts in records and settings are whole micro-dollars; rounding absorbs float noise. */
export function usdToMicro(usd: number): number {
  return Math.round(usd * 1_000_000);
}
