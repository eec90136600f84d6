// Spend messages: the meter's summary, the dashboard's series, reports and budgets.
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { CostByTier, ServedTier, Tier, UsageTotals } from './types';

export interface BudgetStatus {
  scope: 'session' | 'day' | 'month';
  capUsd: number;
  spentUsd: number;
  reservedUsd: number;
  /**
   * This cap refused a request outright in its current period (in this process) and has not been raised
   * since: work is stopped by it, though what is left may be more than $0 (less than a request's worst case).
   */
  stopped?: boolean;
}

/** Whether a cap stops work now: spent up to it, or refusing requests that what is left cannot pay for. */
export function capStops(b: BudgetStatus): boolean {
  return b.stopped === true || b.spentUsd >= b.capUsd - 1e-6;
}

export interface SpendSummary {
  day: string;
  month: string;
  today: SpendFigures;
  thisMonth: SpendFigures;
  /** `repoName` is set for a session of a repository this host has not opened (its folder's name). */
  topSessions: { sessionId: string; title: string; repoName?: string; costUsd: number }[];
  budgets: BudgetStatus[];
  /** True when a cap is currently stopping work. */
  capReached: boolean;
}

export interface SpendFigures {
  costUsd: number;
  usage: UsageTotals;
  costByTier: CostByTier;
  priorityPremiumUsd: number;
  unpricedRequests: number;
  /** Requests whose usage never came whole (a cut stream, a killed process): in `costUsd` as estimates. */
  estimatedRequests: number;
  /** Cached input as a share of all input, 0..1. */
  cacheShare: number;
}

export type ReportGroup = 'session' | 'day' | 'model' | 'tier';

export interface ReportRow {
  key: string;
  label: string;
  usage: UsageTotals;
  costUsd: number;
  /** Requests to models without a price: their usage is counted, their cost is not in `costUsd`. */
  unpricedRequests: number;
  /** Requests cut off (stream or process) before the provider reported usage: their tokens and cost are estimates. */
  estimatedRequests: number;
  priorityPremiumUsd: number;
}

export interface ReportParams {
  since?: string;
  by: ReportGroup;
}

/** Series for the Spend view: one point per day of the month. */
export interface SpendSeries {
  days: string[];
  /**
   * Stacked spend per session (top sessions; the rest summed as "other"). `repoName` is set for a session
   * of a repository this host has not opened (the ledger is shared by every repository on the machine).
   */
  bySession: { sessionId: string; title: string; repoName?: string; costUsd: number[] }[];
  cacheShare: number[];
  byTier: Record<ServedTier, number>;
  byModel: { model: string; costUsd: number; unpriced: number }[];
  priorityPremiumUsd: number;
  monthUsd: number;
  /** Sessions that spent this month, of every repository (as the money is). */
  monthSessions: number;
  monthCapUsd: number | null;
  cacheBreakLossUsd: number;
}

/** The models the price table in force prices (shipped, with the user's overrides), for a model picker. */
export interface PricedModels {
  /** The shipped table's date. */
  date: string;
  /** By name (lower case, as the table keys them); USD per million tokens at each tier priced. */
  models: { model: string; tiers: Partial<Record<Tier, { input: number; cachedInput: number; output: number }>> }[];
  /** The table's name for `check` (a dated snapshot resolves to its model), or null when it has no price. */
  checked?: string | null;
}

export namespace SpendProtocol {
  export const summary = new RequestType<void, SpendSummary, void>('switchyard/spend/summary');
  export const series = new RequestType<{ month?: string }, SpendSeries, void>('switchyard/spend/series');
  export const report = new RequestType<ReportParams, ReportRow[], void>('switchyard/spend/report');
  /** A report (by session unless said) written as CSV; `since` a local date (YYYY-MM-DD), inclusive. */
  export const exportCsv = new RequestType<{ file: string; since?: string; by?: ReportGroup }, { rows: number }, void>('switchyard/spend/exportCsv');
  export const raiseBudget = new RequestType<{ sessionId: string; budgetUsd: number }, void, void>('switchyard/spend/raiseBudget');
  export const models = new RequestType<{ check?: string }, PricedModels, void>('switchyard/spend/models');
  /** Coalesced: at most a few times a second, whatever the token rate. */
  export const changed = new NotificationType<SpendSummary>('switchyard/spend/changed');
}
