// The dated price table: shipped data plus the user's overrides, resolved per model and tier.
import type { PriceOverride, TierPrice } from '../../protocol/host';
import type { ServedTier, Tier } from '../../protocol/types';
import { TIERS } from '../../protocol/types';
import shipped from './prices.json';
import { MAX_USD_PER_MILLION } from '../../protocol/prices';

/**
 * Prices are held as integers of 1e-8 USD per million tokens (= 1e-2 micro-dollar per token), so the
 * published prices and 1.25x of any of them are whole numbers and cost math never touches a float.
 */
export const PRICE_UNITS_PER_USD = 100_000_000n;

export interface UnitPrice {
  input: bigint;
  cachedInput: bigint;
  output: bigint;
  cacheWrite: bigint;
}

export interface ModelPrices {
  /** USD per million tokens, as published or overridden (cacheWrite always filled in). */
  readonly tiers: Readonly<Partial<Record<Tier, Required<TierPrice>>>>;
  readonly units: Readonly<Partial<Record<Tier, UnitPrice>>>;
}

export interface PriceTable {
  readonly date: string;
  readonly source: string;
  /** Keyed by lower-case model name. */
  readonly models: ReadonlyMap<string, ModelPrices>;
}

export class PriceTableError extends Error {
  override readonly name = 'PriceTableError';
}

const TIER_ALIASES: Record<string, Tier> = {
  standard: 'standard',
  default: 'standard',
  priority: 'priority',
  // Priority was renamed "Fast mode" in July 2026; both names mean the same tier and price.
  fast: 'priority',
  flex: 'flex',
};

const SNAPSHOT_SUFFIX = /-\d{4}-\d{2}-\d{2}$/;

export function loadPriceTable(overrides?: Record<string, PriceOverride>, data: unknown = shipped): PriceTable {
  const { date, source, models: raw } = parseTableShape(data);
  const models = new Map<string, ModelPrices>();
  for (const [name, tiers] of Object.entries(raw)) models.set(normaliseName(name), buildModel(name, tiers, undefined));
  for (const [name, tiers] of Object.entries(overrides ?? {})) {
    const key = normaliseName(name);
    if (!key) throw new PriceTableError('price override has an empty model name');
    models.set(key, buildModel(name, tiers as Record<string, unknown>, models.get(key)));
  }
  return { date, source, models };
}

/** The table key a model name resolves to: exact name first, then a dated snapshot's base model. */
export function resolveModel(table: PriceTable, model: string): string | null {
  const name = normaliseName(model);
  if (table.models.has(name)) return name;
  const base = name.replace(SNAPSHOT_SUFFIX, '');
  return base !== name && table.models.has(base) ? base : null;
}

/**
 * The price a tier bills at, or null when the model is unknown or does not offer the tier.
 * 'unknown' (a response that did not say) is priced as standard, the API's default tier.
 */
export function priceFor(table: PriceTable, model: string, tier: ServedTier | Tier): TierPrice | null {
  const key = resolveModel(table, model);
  return key === null ? null : (table.models.get(key)!.tiers[billedTier(tier)] ?? null);
}

export function unitPriceFor(table: PriceTable, model: string, tier: ServedTier | Tier): UnitPrice | null {
  const key = resolveModel(table, model);
  return key === null ? null : (table.models.get(key)!.units[billedTier(tier)] ?? null);
}

/** Component-wise maximum over the model's tiers: no tier can bill more than this for any usage. */
export function dearestTierPrice(table: PriceTable, model: string): Required<TierPrice> | null {
  const key = resolveModel(table, model);
  if (key === null) return null;
  const tiers = Object.values(table.models.get(key)!.tiers);
  if (!tiers.length) return null;
  return {
    input: Math.max(...tiers.map(t => t.input)),
    cachedInput: Math.max(...tiers.map(t => t.cachedInput)),
    output: Math.max(...tiers.map(t => t.output)),
    cacheWrite: Math.max(...tiers.map(t => t.cacheWrite)),
  };
}

export function dearestUnitPrice(table: PriceTable, model: string): UnitPrice | null {
  const p = dearestTierPrice(table, model);
  return p && toUnits(p);
}

export function toUnits(p: Required<TierPrice>): UnitPrice {
  return { input: usdToUnits(p.input), cachedInput: usdToUnits(p.cachedInput), output: usdToUnits(p.output), cacheWrite: usdToUnits(p.cacheWrite) };
}

/**
 * Cache writes are billed at 1.25x input from gpt-5.6 on; earlier models bill them as plain input.
 * Used only when a price (an override) does not say.
 */
export function defaultCacheWrite(model: string, input: number): number {
  const m = /^gpt-(\d+)(?:\.(\d+))?/.exec(normaliseName(model));
  const major = m ? Number(m[1]) : 0;
  const minor = m?.[2] ? Number(m[2]) : 0;
  return major > 5 || (major === 5 && minor >= 6) ? input * 1.25 : input;
}

function billedTier(tier: ServedTier | Tier): Tier {
  return tier === 'unknown' ? 'standard' : tier;
}

function normaliseName(model: string): string {
  return model.trim().toLowerCase();
}

function usdToUnits(usdPerMillion: number): bigint {
  return BigInt(Math.round(usdPerMillion * Number(PRICE_UNITS_PER_USD)));
}

function parseTableShape(data: unknown): { date: string; source: string; models: Record<string, Record<string, unknown>> } {
  if (!isObject(data)) throw new PriceTableError('price table is not an object');
  const { date, source, models } = data;
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new PriceTableError('price table has no valid "date" (YYYY-MM-DD)');
  if (!isObject(models)) throw new PriceTableError('price table has no "models" object');
  for (const [name, tiers] of Object.entries(models)) {
    if (!isObject(tiers)) throw new PriceTableError(`price table: model "${name}" is not an object of tiers`);
  }
  return { date, source: typeof source === 'string' ? source : '', models: models as Record<string, Record<string, unknown>> };
}

function buildModel(name: string, raw: Record<string, unknown>, base: ModelPrices | undefined): ModelPrices {
  if (!isObject(raw)) throw new PriceTableError(`prices for "${name}" must be an object of tiers`);
  const tiers: Partial<Record<Tier, Required<TierPrice>>> = { ...base?.tiers };
  for (const [tierName, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const tier = TIER_ALIASES[tierName.toLowerCase()];
    if (!tier) throw new PriceTableError(`prices for "${name}": unknown tier "${tierName}" (use ${TIERS.join(', ')})`);
    tiers[tier] = parseTierPrice(name, tierName, value);
  }
  const units: Partial<Record<Tier, UnitPrice>> = {};
  for (const tier of TIERS) {
    const p = tiers[tier];
    if (p) units[tier] = toUnits(p);
  }
  return { tiers, units };
}

function parseTierPrice(model: string, tier: string, value: unknown): Required<TierPrice> {
  if (!isObject(value)) throw new PriceTableError(`prices for "${model}" ${tier}: expected { input, cachedInput, output }`);
  const field = (key: keyof TierPrice, optional: boolean): number | undefined => {
    const v = value[key];
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_USD_PER_MILLION) {
      throw new PriceTableError(`prices for "${model}" ${tier}.${key}: expected USD per million tokens (0 to ${MAX_USD_PER_MILLION.toLocaleString('en-US')}), got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const input = field('input', false)!;
  return {
    input,
    cachedInput: field('cachedInput', false)!,
    output: field('output', false)!,
    cacheWrite: field('cacheWrite', true) ?? defaultCacheWrite(model, input),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
