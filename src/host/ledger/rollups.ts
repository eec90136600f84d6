// Running totals over the ledger, kept O(1) per record, so nothing that shows spend reads records.
import type { UsageRecord } from '../../protocol/records';
import type { CostByTier, ServedTier, UsageTotals } from '../../protocol/types';
import { microToUsd, usdToMicro } from '../pricing/cost';
import { DayKeyCache, monthOfDay } from './localDate';

/** Sums over a set of records. Money is in integer micro-dollars so totals never drift. */
export class Agg {
  input = 0;
  cached = 0;
  cacheWrite = 0;
  output = 0;
  reasoning = 0;
  requests = 0;
  /** Priced records only. */
  costMicro = 0;
  standardMicro = 0;
  /** Cost beyond standard, over priority-served records. */
  premiumMicro = 0;
  priorityMicro = 0;
  standardTierMicro = 0;
  flexMicro = 0;
  unknownTierMicro = 0;
  unpriced = 0;
  estimated = 0;
}

/** Agg fields in their snapshot order. Append only: snapshots of older versions rely on the order. */
const FIELDS = [
  'input', 'cached', 'cacheWrite', 'output', 'reasoning', 'requests', 'costMicro', 'standardMicro', 'premiumMicro',
  'priorityMicro', 'standardTierMicro', 'flexMicro', 'unknownTierMicro', 'unpriced', 'estimated',
] as const satisfies readonly (keyof Agg)[];

/** What the UI, reports and budgets read: usage, dollars, and the counts that qualify them. */
export interface SpendTotals {
  usage: UsageTotals;
  costUsd: number;
  standardCostUsd: number;
  priorityPremiumUsd: number;
  costByTier: CostByTier;
  unpricedRequests: number;
  estimatedRequests: number;
}

export type Keyed = ReadonlyMap<string, Readonly<Agg>>;
type Nested = Map<string, Map<string, Agg>>;

export class Rollups {
  readonly total = new Agg();
  private readonly bySessionMap = new Map<string, Agg>();
  private readonly byDayMap = new Map<string, Agg>();
  private readonly byMonthMap = new Map<string, Agg>();
  private readonly byModelMap = new Map<string, Agg>();
  private readonly byTierMap = new Map<string, Agg>();
  private readonly dayXSessionMap: Nested = new Map();
  private readonly dayXTierMap: Nested = new Map();
  private readonly dayXModelMap: Nested = new Map();
  private readonly monthXSessionMap: Nested = new Map();
  private readonly monthXTierMap: Nested = new Map();
  private readonly monthXModelMap: Nested = new Map();
  private readonly days = new DayKeyCache();

  get bySession(): Keyed { return this.bySessionMap; }
  get byDay(): Keyed { return this.byDayMap; }
  get byMonth(): Keyed { return this.byMonthMap; }
  get byModel(): Keyed { return this.byModelMap; }
  get byTier(): Keyed { return this.byTierMap; }
  /** Per day, per session (charts and reports with a start date). */
  daySessions(day: string): Keyed { return this.dayXSessionMap.get(day) ?? EMPTY; }
  dayTiers(day: string): Keyed { return this.dayXTierMap.get(day) ?? EMPTY; }
  dayModels(day: string): Keyed { return this.dayXModelMap.get(day) ?? EMPTY; }
  /** Per month, per session (the month view, without summing days). */
  monthSessions(month: string): Keyed { return this.monthXSessionMap.get(month) ?? EMPTY; }
  monthTiers(month: string): Keyed { return this.monthXTierMap.get(month) ?? EMPTY; }
  monthModels(month: string): Keyed { return this.monthXModelMap.get(month) ?? EMPTY; }

  get records(): number {
    return this.total.requests;
  }

  apply(r: UsageRecord): void {
    const { cost, standard, premium } = moneyOf(r);
    const day = this.days.dayOf(r.ts);
    const month = monthOfDay(day);
    add(this.total, r, cost, standard, premium);
    add(slot(this.bySessionMap, r.sessionId), r, cost, standard, premium);
    add(slot(this.byDayMap, day), r, cost, standard, premium);
    add(slot(this.byMonthMap, month), r, cost, standard, premium);
    add(slot(this.byModelMap, r.model), r, cost, standard, premium);
    const tier = billedTier(r);
    add(slot(this.byTierMap, tier), r, cost, standard, premium);
    add(slot(nestedSlot(this.dayXSessionMap, day), r.sessionId), r, cost, standard, premium);
    add(slot(nestedSlot(this.dayXTierMap, day), tier), r, cost, standard, premium);
    add(slot(nestedSlot(this.dayXModelMap, day), r.model), r, cost, standard, premium);
    add(slot(nestedSlot(this.monthXSessionMap, month), r.sessionId), r, cost, standard, premium);
    add(slot(nestedSlot(this.monthXTierMap, month), tier), r, cost, standard, premium);
    add(slot(nestedSlot(this.monthXModelMap, month), r.model), r, cost, standard, premium);
  }

  sessionCostMicro(sessionId: string): number {
    return this.bySessionMap.get(sessionId)?.costMicro ?? 0;
  }

  dayCostMicro(day: string): number {
    return this.byDayMap.get(day)?.costMicro ?? 0;
  }

  monthCostMicro(month: string): number {
    return this.byMonthMap.get(month)?.costMicro ?? 0;
  }

  toJSON(): RollupsJson {
    const flat = (m: Map<string, Agg>): [string, number[]][] => [...m].map(([k, a]) => [k, pack(a)]);
    const nested = (m: Nested): [string, [string, number[]][]][] => [...m].map(([k, inner]) => [k, flat(inner)]);
    return {
      fields: [...FIELDS],
      total: pack(this.total),
      bySession: flat(this.bySessionMap),
      byDay: flat(this.byDayMap),
      byMonth: flat(this.byMonthMap),
      byModel: flat(this.byModelMap),
      byTier: flat(this.byTierMap),
      dayXSession: nested(this.dayXSessionMap),
      dayXTier: nested(this.dayXTierMap),
      dayXModel: nested(this.dayXModelMap),
      monthXSession: nested(this.monthXSessionMap),
      monthXTier: nested(this.monthXTierMap),
      monthXModel: nested(this.monthXModelMap),
    };
  }

  /** Throws RangeError when the value is not a snapshot of this shape. */
  static fromJSON(v: unknown): Rollups {
    const j = v as RollupsJson;
    if (typeof j !== 'object' || j === null || !Array.isArray(j.fields) || j.fields.length !== FIELDS.length || j.fields.some((f, i) => f !== FIELDS[i])) {
      throw new RangeError('rollups snapshot has another field layout');
    }
    const r = new Rollups();
    Object.assign(r.total, unpack(j.total));
    const fillFlat = (into: Map<string, Agg>, rows: unknown): void => {
      if (!Array.isArray(rows)) throw new RangeError('rollups snapshot: expected a list of rows');
      for (const row of rows as unknown[]) {
        if (!Array.isArray(row) || typeof row[0] !== 'string') throw new RangeError('rollups snapshot: bad row');
        into.set(row[0], unpack(row[1]));
      }
    };
    const fillNested = (into: Nested, rows: unknown): void => {
      if (!Array.isArray(rows)) throw new RangeError('rollups snapshot: expected a list of days');
      for (const row of rows as unknown[]) {
        if (!Array.isArray(row) || typeof row[0] !== 'string') throw new RangeError('rollups snapshot: bad day row');
        fillFlat(nestedSlot(into, row[0]), row[1]);
      }
    };
    fillFlat(r.bySessionMap, j.bySession);
    fillFlat(r.byDayMap, j.byDay);
    fillFlat(r.byMonthMap, j.byMonth);
    fillFlat(r.byModelMap, j.byModel);
    fillFlat(r.byTierMap, j.byTier);
    fillNested(r.dayXSessionMap, j.dayXSession);
    fillNested(r.dayXTierMap, j.dayXTier);
    fillNested(r.dayXModelMap, j.dayXModel);
    fillNested(r.monthXSessionMap, j.monthXSession);
    fillNested(r.monthXTierMap, j.monthXTier);
    fillNested(r.monthXModelMap, j.monthXModel);
    return r;
  }
}

export interface RollupsJson {
  fields: string[];
  total: number[];
  bySession: [string, number[]][];
  byDay: [string, number[]][];
  byMonth: [string, number[]][];
  byModel: [string, number[]][];
  byTier: [string, number[]][];
  dayXSession: [string, [string, number[]][]][];
  dayXTier: [string, [string, number[]][]][];
  dayXModel: [string, [string, number[]][]][];
  monthXSession: [string, [string, number[]][]][];
  monthXTier: [string, [string, number[]][]][];
  monthXModel: [string, [string, number[]][]][];
}

export function totalsOf(a: Readonly<Agg> | undefined): SpendTotals {
  const x = a ?? ZERO_AGG;
  return {
    usage: { input: x.input, cached: x.cached, cacheWrite: x.cacheWrite, output: x.output, reasoning: x.reasoning, requests: x.requests },
    costUsd: microToUsd(x.costMicro),
    standardCostUsd: microToUsd(x.standardMicro),
    priorityPremiumUsd: microToUsd(x.premiumMicro),
    costByTier: tierCosts(x),
    unpricedRequests: x.unpriced,
    estimatedRequests: x.estimated,
  };
}

export function tierCosts(a: Readonly<Agg>): CostByTier {
  const byTier: Record<ServedTier, number> = {
    priority: microToUsd(a.priorityMicro),
    standard: microToUsd(a.standardTierMicro),
    flex: microToUsd(a.flexMicro),
    unknown: microToUsd(a.unknownTierMicro),
  };
  return byTier;
}

export function addInto(into: Agg, from: Readonly<Agg>): Agg {
  for (const f of FIELDS) into[f] += from[f];
  return into;
}

/** Adds one record to a sum of records (what apply does for each of its keys). */
export function addRecord(a: Agg, r: UsageRecord): Agg {
  const { cost, standard, premium } = moneyOf(r);
  add(a, r, cost, standard, premium);
  return a;
}

/**
 * The tier a record was billed at: the one served, or where the response never said (cut short), the one
 * asked for, which the cost was counted at. Two stay unknown, counted at the model's dearest price, not
 * the tier asked for: one served at a tier without a price here (costBound), and the worst case of a
 * request whose process died mid-answer (worstCase; see meter.ts presumedRecord).
 */
export function billedTier(r: UsageRecord): ServedTier {
  return r.servedTier === 'unknown' && !r.costBound && !r.worstCase ? r.requestedTier : r.servedTier;
}

function moneyOf(r: UsageRecord): { cost: number | null; standard: number; premium: number } {
  const cost = r.costUsd === null ? null : usdToMicro(r.costUsd);
  const standard = cost === null || r.standardCostUsd === null ? 0 : usdToMicro(r.standardCostUsd);
  const premium = cost !== null && billedTier(r) === 'priority' && r.standardCostUsd !== null ? cost - standard : 0;
  return { cost, standard, premium };
}

function add(a: Agg, r: UsageRecord, cost: number | null, standard: number, premium: number): void {
  a.input += r.input;
  a.cached += r.cached;
  a.cacheWrite += r.cacheWrite;
  a.output += r.output;
  a.reasoning += r.reasoning;
  a.requests += 1;
  if (r.estimated) a.estimated += 1;
  if (cost === null) {
    a.unpriced += 1;
    return;
  }
  a.costMicro += cost;
  a.standardMicro += standard;
  a.premiumMicro += premium;
  const tier = billedTier(r);
  if (tier === 'priority') a.priorityMicro += cost;
  else if (tier === 'standard') a.standardTierMicro += cost;
  else if (tier === 'flex') a.flexMicro += cost;
  else a.unknownTierMicro += cost;
}

const ZERO_AGG: Readonly<Agg> = Object.freeze(new Agg());
const EMPTY: Keyed = new Map();

function slot(m: Map<string, Agg>, key: string): Agg {
  let a = m.get(key);
  if (!a) m.set(key, (a = new Agg()));
  return a;
}

function nestedSlot(m: Nested, key: string): Map<string, Agg> {
  let inner = m.get(key);
  if (!inner) m.set(key, (inner = new Map()));
  return inner;
}

function pack(a: Agg): number[] {
  return FIELDS.map(f => a[f]);
}

function unpack(v: unknown): Agg {
  if (!Array.isArray(v) || v.length !== FIELDS.length || v.some(n => typeof n !== 'number' || !Number.isSafeInteger(n))) {
    throw new RangeError('rollups snapshot: bad totals row');
  }
  const a = new Agg();
  FIELDS.forEach((f, i) => (a[f] = v[i] as number));
  return a;
}
