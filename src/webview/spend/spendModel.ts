// What the Spend view shows, derived from the host's summary and month series. Pure (no DOM), so the
// rules — empty state, budget levels, "unpriced" never shown as $0, stacking — are unit-tested.
import { capStops, type BudgetStatus, type SpendSeries, type SpendSummary } from '../../protocol/spend';
import type { ServedTier } from '../../protocol/types';

export type Level = 'ok' | 'warn' | 'over';

/** A bar at or past this share of its cap turns to the warning colour. */
export const WARN_SHARE = 0.8;
/** The host names the series of all sessions beyond the top ones 'other' (it is no session to open). */
export const OTHER_SERIES_ID = 'other';

export interface BudgetRow {
  scope: BudgetStatus['scope'];
  spentUsd: number;
  reservedUsd: number;
  capUsd: number;
  /** Spent as a share of the cap, 0..1 (clamped). */
  spentShare: number;
  /** Spent plus reserved as a share of the cap, 0..1 (clamped). */
  committedShare: number;
  level: Level;
}

export interface SessionSeries {
  id: string;
  title: string;
  /** Set for a session of another repository: its folder's name. */
  repoName?: string;
  /** False for the "other sessions" series and for other repositories' sessions (no transcript here). */
  clickable: boolean;
  totalUsd: number;
  values: number[];
  /** Index into the chart palette; "other" gets -1 (a neutral colour). */
  colour: number;
}

export interface ModelRow {
  model: string;
  /** Null when every request of this model was unpriced. */
  costUsd: number | null;
  unpricedRequests: number;
}

export interface TierRow {
  tier: ServedTier;
  costUsd: number;
  share: number;
}

export interface SpendModel {
  empty: boolean;
  month: string;
  today: string;
  todayUsd: number;
  monthUsd: number;
  monthRequests: number;
  monthInput: number;
  monthCached: number;
  monthOutput: number;
  unpricedRequests: number;
  /** Requests of the month metered from what arrived, or at their most: the total includes estimates. */
  estimatedRequests: number;
  /** Today's, likewise. */
  todayEstimatedRequests: number;
  sessionCount: number;
  capReached: boolean;
  monthBudget: BudgetRow | null;
  /** The day cap, when it is near or reached: said at the top beside the month's, not only in the Budgets card. */
  dayAlert: BudgetRow | null;
  budgets: BudgetRow[];
  days: string[];
  /** Index of today in `days`, or -1 when the series is another month. */
  todayIndex: number;
  series: SessionSeries[];
  dayTotals: number[];
  cacheShare: number;
  /** Per day; null for days without input and days still to come. */
  cacheByDay: (number | null)[];
  cacheBreakLossUsd: number;
  priorityPremiumUsd: number;
  priorityUsd: number;
  tiers: TierRow[];
  models: ModelRow[];
}

const TIER_ORDER: readonly ServedTier[] = ['priority', 'standard', 'flex', 'unknown'];

export function spendModel(summary: SpendSummary, series: SpendSeries, sessionCount: number): SpendModel {
  const month = summary.thisMonth;
  const empty = month.usage.requests === 0 && month.costUsd === 0 && series.monthUsd === 0;
  const days = series.days;
  const todayIndex = days.indexOf(summary.day);
  const dayTotals = days.map((_, i) => series.bySession.reduce((sum, s) => sum + (s.costUsd[i] ?? 0), 0));

  let colour = 0;
  const sessions: SessionSeries[] = series.bySession
    .map(s => ({ s, total: s.costUsd.reduce((a, b) => a + b, 0) }))
    // "other" goes last whatever its size: it is the remainder, not a competitor of the top sessions.
    .sort((a, b) => Number(a.s.sessionId === OTHER_SERIES_ID) - Number(b.s.sessionId === OTHER_SERIES_ID) || b.total - a.total)
    .map(({ s, total }) => {
      const other = s.sessionId === OTHER_SERIES_ID;
      const elsewhere = s.repoName ? { repoName: s.repoName } : {};
      return {
        id: s.sessionId,
        title: s.title || s.sessionId,
        ...elsewhere,
        // This window opens transcripts of its own sessions only; another repository's would say "no session".
        clickable: !other && !s.repoName,
        totalUsd: total,
        values: days.map((_, i) => s.costUsd[i] ?? 0),
        colour: other ? -1 : colour++,
      };
    });

  const budgets = summary.budgets.map(budgetRow);
  const monthStatus = budgets.find(b => b.scope === 'month');
  const monthBudget = monthStatus ?? (series.monthCapUsd !== null ? budgetRow({ scope: 'month', capUsd: series.monthCapUsd, spentUsd: series.monthUsd, reservedUsd: 0 }) : null);

  const tierTotal = TIER_ORDER.reduce((a, t) => a + (series.byTier[t] ?? 0), 0);
  const tiers = TIER_ORDER.filter(t => t !== 'unknown' || (series.byTier.unknown ?? 0) > 0).map(t => {
    const costUsd = series.byTier[t] ?? 0;
    return { tier: t, costUsd, share: tierTotal > 0 ? costUsd / tierTotal : 0 };
  });

  const models: ModelRow[] = series.byModel
    .map(m => ({ model: m.model, costUsd: m.costUsd === 0 && m.unpriced > 0 ? null : m.costUsd, unpricedRequests: m.unpriced }))
    .sort((a, b) => (b.costUsd ?? -1) - (a.costUsd ?? -1) || b.unpricedRequests - a.unpricedRequests || a.model.localeCompare(b.model));

  return {
    empty,
    month: summary.month,
    today: summary.day,
    todayUsd: summary.today.costUsd,
    monthUsd: Math.max(series.monthUsd, month.costUsd),
    monthRequests: month.usage.requests,
    monthInput: month.usage.input,
    monthCached: month.usage.cached,
    monthOutput: month.usage.output,
    unpricedRequests: month.unpricedRequests,
    estimatedRequests: month.estimatedRequests,
    todayEstimatedRequests: summary.today.estimatedRequests,
    sessionCount,
    capReached: summary.capReached,
    monthBudget,
    dayAlert: budgets.find(b => b.scope === 'day' && b.level !== 'ok') ?? null,
    budgets: sortBudgets(budgets),
    days,
    todayIndex,
    series: sessions,
    dayTotals,
    cacheShare: month.cacheShare,
    cacheByDay: days.map((day, i) => {
      const v = series.cacheShare[i] ?? 0;
      const future = todayIndex >= 0 ? i > todayIndex : summary.day < day;
      // The host reports 0 both for "nothing cached" and "no input that day"; a day without spend is the latter.
      return future || (v === 0 && (dayTotals[i] ?? 0) === 0) ? null : v;
    }),
    cacheBreakLossUsd: series.cacheBreakLossUsd,
    priorityPremiumUsd: series.priorityPremiumUsd,
    priorityUsd: series.byTier.priority ?? 0,
    tiers,
    models,
  };
}

export function budgetRow(b: BudgetStatus): BudgetRow {
  const cap = Math.max(0, b.capUsd);
  const reached = capStops(b);
  const spentShare = cap > 0 ? clamp01(b.spentUsd / cap) : 1;
  const committedShare = cap > 0 ? clamp01((b.spentUsd + b.reservedUsd) / cap) : 1;
  return {
    scope: b.scope,
    spentUsd: b.spentUsd,
    reservedUsd: b.reservedUsd,
    capUsd: cap,
    spentShare,
    committedShare,
    level: reached ? 'over' : spentShare >= WARN_SHARE ? 'warn' : 'ok',
  };
}

function sortBudgets(rows: BudgetRow[]): BudgetRow[] {
  const order = { session: 0, day: 1, month: 2 } as const;
  return [...rows].sort((a, b) => order[a.scope] - order[b.scope]);
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}
