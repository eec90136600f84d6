// Spend as the UI and the CLI see it: per-session figures for the tree, the meter's summary, the
// dashboard's month, reports and CSV. Everything reads the ledger's rollups, never the records, so
// each costs the same at ten records or ten million. The tree and the meter also count this process's
// records still on their way to disk (at most one per running session), so they are current as soon as
// a response ends. Change notifications are coalesced.
import { promises as fs } from 'node:fs';
import type { HostSettings } from '../../protocol/host';
import type { Tier } from '../../protocol/types';
import { type BudgetStatus, capStops, type PricedModels, type ReportGroup, type ReportParams, type ReportRow, type SpendFigures, type SpendSeries, type SpendSummary } from '../../protocol/spend';
import type { BudgetCaps, BudgetKeeper } from '../budgets/budgetKeeper';
import type { EngineSink } from '../events';
import type { Ledger } from '../ledger/ledger';
import { localDay, localMonth } from '../ledger/localDate';
import { report, toCsv } from '../ledger/report';
import { addInto, Agg, totalsOf, type SpendTotals } from '../ledger/rollups';
import { dearestUnitPrice, resolveModel, unitPriceFor, type PriceTable } from '../pricing/priceTable';
import type { SessionLabelLookup } from '../sessions/sessionLabels';
import type { SpendOfSession } from '../sessions/sessionRecord';
import { Throttle } from '../util/throttle';

export interface SpendServiceOptions {
  ledger: Ledger;
  budgets: BudgetKeeper;
  prices(): PriceTable;
  settings(): HostSettings;
  sink: EngineSink;
  /** Title of a session this host has loaded. */
  sessionTitle(id: string): string | undefined;
  /** Names the others (another repository's sessions share the ledger); without it they show their ids. */
  sessionsElsewhere?: SessionLabelLookup;
  /** Dollars lost to cache breaks, over the sessions this host knows. */
  cacheBreakLossUsd(): number;
}

const NOTIFY_MS = 100;
/** How soon the meter looks again while budget is held for requests in flight (see summary). */
const HELD_RECHECK_MS = 2000;

export class SpendService {
  private readonly throttle = new Throttle(NOTIFY_MS, () => this.o.sink.spendChanged(this.summary()));
  private recheck: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly o: SpendServiceOptions) {}

  sessionSpend(id: string): SpendOfSession {
    const t = totalsOf(withPending(this.o.ledger.rollups.bySession.get(id), this.o.ledger.pending.forSession(id)));
    return {
      usage: t.usage,
      costUsd: t.costUsd,
      costByTier: t.costByTier,
      unpricedRequests: t.unpricedRequests,
      estimatedRequests: t.estimatedRequests,
      priorityPremiumUsd: t.priorityPremiumUsd,
    };
  }

  /** Something was spent: the meter hears about it a few times a second at most, whatever the token rate. */
  changed(): void {
    this.throttle.trigger();
  }

  summary(now = new Date()): SpendSummary {
    const { rollups, pending } = this.o.ledger;
    const day = localDay(now);
    const month = localMonth(now);
    const b = this.o.settings().budgets;
    const onItsWay = pending.heldCostMicro(day, month);
    const budgets = this.o.budgets.status({ sessionUsd: null, dayUsd: b.dayUsd, monthUsd: b.monthUsd }).map(x => spentOnItsWay(x, x.scope === 'day' ? onItsWay.day : onItsWay.month));
    this.lookAgainWhileHeld(budgets);
    const monthSessions = [...rollups.monthSessions(month)].sort((x, y) => y[1].costMicro - x[1].costMicro).slice(0, 5);
    return {
      day,
      month,
      today: figures(totalsOf(withPending(rollups.byDay.get(day), pending.forDay(day)))),
      thisMonth: figures(totalsOf(withPending(rollups.byMonth.get(month), pending.forMonth(month)))),
      topSessions: monthSessions.map(([sessionId, a]) => ({ sessionId, ...this.labelOf(sessionId), costUsd: a.costMicro / 1e6 })),
      budgets,
      capReached: budgets.some(capStops),
    };
  }

  /**
   * Another process handing back its share of the caps writes nothing to the ledger, so no change tells of
   * it: while a summary shows other processes' shares held, the meter is sent a fresh one a little later.
   * (This process's own requests tell of their end as they settle.)
   */
  private lookAgainWhileHeld(budgets: SpendSummary['budgets']): void {
    if (this.recheck || this.disposed || !budgets.some(b => b.reservedUsd > 0) || !this.o.budgets.othersHoldShares()) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      this.changed();
    }, HELD_RECHECK_MS);
    this.recheck.unref();
  }

  series(month = localMonth(new Date())): SpendSeries {
    const v = this.o.ledger.monthView(month, 8);
    const b = this.o.settings().budgets;
    return {
      days: v.days,
      bySession: v.sessionSeries.map(s => ({
        sessionId: s.sessionId ?? 'other',
        ...(s.sessionId ? this.labelOf(s.sessionId) : { title: 'Other sessions' }),
        costUsd: s.costUsd,
      })),
      cacheShare: v.perDay.map(d => (d.usage.input > 0 ? d.usage.cached / d.usage.input : 0)),
      byTier: {
        priority: v.perTier.priority.costUsd,
        standard: v.perTier.standard.costUsd,
        flex: v.perTier.flex.costUsd,
        unknown: v.perTier.unknown.costUsd,
      },
      byModel: v.perModel.map(m => ({ model: m.model, costUsd: m.totals.costUsd, unpriced: m.totals.unpricedRequests })),
      priorityPremiumUsd: v.total.priorityPremiumUsd,
      monthUsd: v.total.costUsd,
      monthSessions: this.o.ledger.rollups.monthSessions(month).size,
      monthCapUsd: b.monthUsd,
      cacheBreakLossUsd: this.o.cacheBreakLossUsd(),
    };
  }

  /**
   * By session, sessions of other repositories are named from their records (read once, then cached), with
   * their repository's folder: a report spans every repository, where titles repeat.
   */
  async report(p: ReportParams): Promise<ReportRow[]> {
    const rows = report(this.o.ledger.rollups, p.by, p.since);
    if (p.by !== 'session') return rows;
    await this.o.sessionsElsewhere?.lookup(rows.map(r => r.key).filter(id => this.o.sessionTitle(id) === undefined));
    return rows.map(r => {
      const { title, repoName } = this.labelOf(r.key);
      return { ...r, label: repoName ? `${title} (${repoName})` : title };
    });
  }

  async reportCsv(p: ReportParams): Promise<string> {
    return toCsv(await this.report(p));
  }

  async exportCsv(file: string, since?: string, by: ReportGroup = 'session'): Promise<{ rows: number }> {
    await this.o.ledger.catchUp();
    const rows = await this.report({ by, since });
    await fs.writeFile(file, toCsv(rows));
    return { rows: rows.length };
  }

  /**
   * A session's title; for another repository's session also that repository's folder name. Its id until
   * its record has been read (the lookup then says spend changed, so the views ask again).
   */
  private labelOf(id: string): { title: string; repoName?: string } {
    const own = this.o.sessionTitle(id);
    if (own !== undefined) return { title: own };
    const other = this.o.sessionsElsewhere?.peek(id);
    return other ? { title: other.title, repoName: other.repoName } : { title: id };
  }

  /** Whether the model has a price: a dollar cap can hold its requests (the budget keeper lets unpriced ones through). */
  isPriced(model: string): boolean {
    return dearestUnitPrice(this.o.prices(), model) !== null;
  }

  /**
   * The models priced, in the table's order (the shipped table's newest first, then models only overrides
   * price), and `check` resolved: priced as the budgets see it, at one tier at least.
   */
  pricedModels(check?: string): PricedModels {
    const table = this.o.prices();
    const models = [...table.models].filter(([, p]) => Object.keys(p.tiers).length).map(([model, p]) => ({ model, tiers: { ...p.tiers } }));
    return { date: table.date, models, ...(check !== undefined ? { checked: this.isPriced(check) ? resolveModel(table, check) : null } : {}) };
  }

  /** Whether the price table has this model at this tier. */
  isPricedAt(model: string, tier: Tier): boolean {
    return unitPriceFor(this.o.prices(), model, tier) !== null;
  }

  /** The least a session budget must leave for a request with this much input (null: the model has no price). */
  smallestRequestUsd(model: string, estimatedInputTokens: number, maxOutputTokens: number): number | null {
    return this.o.budgets.smallestRequestUsd(model, estimatedInputTokens, maxOutputTokens);
  }

  budgetStatus(caps: BudgetCaps, sessionId?: string): ReturnType<BudgetKeeper['status']> {
    return this.o.budgets.status(caps, sessionId);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.recheck);
    this.throttle.dispose();
  }
}

/**
 * The caps count a record once it is in the ledger; until then its request's reservation holds its cost.
 * The meter counts it at once: here too, so that a cap's "spent" is the day's spend shown beside it, it
 * is moved from held to spent (`micro`: only records whose reservation this process holds).
 */
function spentOnItsWay(b: BudgetStatus, micro: number): BudgetStatus {
  if (micro <= 0) return b;
  const moved = (usd: number, sign: number) => Math.max(0, Math.round(usd * 1e6) + sign * micro) / 1e6;
  return { ...b, spentUsd: moved(b.spentUsd, 1), reservedUsd: moved(b.reservedUsd, -1) };
}

function withPending(durable: Readonly<Agg> | undefined, pending: Agg | undefined): Readonly<Agg> | undefined {
  return pending ? addInto(pending, durable ?? new Agg()) : durable;
}

function figures(t: SpendTotals): SpendFigures {
  return {
    costUsd: t.costUsd,
    usage: t.usage,
    costByTier: t.costByTier,
    priorityPremiumUsd: t.priorityPremiumUsd,
    unpricedRequests: t.unpricedRequests,
    estimatedRequests: t.estimatedRequests,
    cacheShare: t.usage.input > 0 ? t.usage.cached / t.usage.input : 0,
  };
}
