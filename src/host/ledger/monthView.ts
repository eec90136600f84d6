// One month of spend for the dashboard, read from the rollups only (its cost does not grow with records).
import type { ServedTier } from '../../protocol/types';
import { microToUsd } from '../pricing/cost';
import { daysOfMonth } from './localDate';
import { addInto, Agg, type Keyed, type Rollups, type SpendTotals, totalsOf } from './rollups';

export interface MonthView {
  month: string;
  /** Every day of the month, in order; the per-day arrays follow it. */
  days: string[];
  total: SpendTotals;
  perDay: SpendTotals[];
  /** Sorted by cost, dearest first. */
  perSession: { sessionId: string; totals: SpendTotals }[];
  perModel: { model: string; totals: SpendTotals }[];
  perTier: Record<ServedTier, SpendTotals>;
  /** Daily cost of the top sessions; the rest summed in one series with sessionId null ("other"). */
  sessionSeries: { sessionId: string | null; costUsd: number[] }[];
}

const SERVED_TIERS: readonly ServedTier[] = ['priority', 'standard', 'flex', 'unknown'];

export function monthView(rollups: Rollups, month: string, topSessions = 8): MonthView {
  const days = daysOfMonth(month);
  const perSession = sortByCost(rollups.monthSessions(month));
  const top = perSession.slice(0, topSessions).map(([id]) => id);
  const sessionSeries: MonthView['sessionSeries'] = top.map(id => ({
    sessionId: id,
    costUsd: days.map(day => microToUsd(rollups.daySessions(day).get(id)?.costMicro ?? 0)),
  }));
  if (perSession.length > top.length) {
    sessionSeries.push({
      sessionId: null,
      costUsd: days.map(day => {
        const inDay = rollups.daySessions(day);
        let micro = rollups.byDay.get(day)?.costMicro ?? 0;
        for (const id of top) micro -= inDay.get(id)?.costMicro ?? 0;
        return microToUsd(micro);
      }),
    });
  }
  const tiers = rollups.monthTiers(month);
  const perTier = {} as Record<ServedTier, SpendTotals>;
  for (const t of SERVED_TIERS) perTier[t] = totalsOf(tiers.get(t));
  return {
    month,
    days,
    total: totalsOf(rollups.byMonth.get(month)),
    perDay: days.map(day => totalsOf(rollups.byDay.get(day))),
    perSession: perSession.map(([sessionId, a]) => ({ sessionId, totals: totalsOf(a) })),
    perModel: sortByCost(rollups.monthModels(month)).map(([model, a]) => ({ model, totals: totalsOf(a) })),
    perTier,
    sessionSeries,
  };
}

export function sumInto(into: Map<string, Agg>, from: Keyed): void {
  for (const [key, a] of from) {
    let acc = into.get(key);
    if (!acc) into.set(key, (acc = new Agg()));
    addInto(acc, a);
  }
}

export function sortByCost<A extends Readonly<Agg>>(m: ReadonlyMap<string, A>): [string, A][] {
  return [...m].sort((a, b) => b[1].costMicro - a[1].costMicro || b[1].requests - a[1].requests || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
