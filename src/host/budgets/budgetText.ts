// How budgets are said: amounts, and why a request was refused.
import { usdExact } from '../../protocol/money';
import type { BudgetScope } from './fit';

const SCOPE_NAMES: Record<BudgetScope, string> = { session: 'Session budget', day: 'Daily cap', month: 'Monthly cap' };

/** An amount as budget messages say it: as everywhere, but caps below a hundredth of a cent (tests, trials) keep their digits ("<$0.0001 of <$0.0001" says nothing). */
export const formatBudgetUsd = usdExact;

/** A sum still to be found, as formatBudgetUsd shows it but rounded up: a budget of what it says is enough. */
export function formatBudgetUsdUp(n: number): string {
  if (n > 0 && n < 0.0001) return formatBudgetUsd(n);
  const step = n < 1 ? 10_000 : 100;
  return formatBudgetUsd(Math.ceil(n * step - 1e-9) / step);
}

export function refusalMessage(r: { scope: BudgetScope; capUsd: number; spentUsd: number; reservedUsd: number; neededUsd: number }): string {
  const dollars = formatBudgetUsd;
  // The day and month caps are shared: other processes' shares of them count as held.
  const holders = r.scope === 'session' ? 'requests in flight' : "requests in flight and other processes' shares";
  const held = r.reservedUsd > 0 ? `, ${dollars(r.reservedUsd)} held for ${holders}` : '';
  // "Reached" only where spend itself leaves no room; room that is only held frees up as requests end.
  const afterSpend = r.capUsd - r.spentUsd;
  const state = afterSpend >= r.neededUsd ? 'has no room free now' : afterSpend > r.capUsd / 100 ? `too small to go on, with ${dollars(afterSpend)} left` : 'reached';
  return `${SCOPE_NAMES[r.scope]} ${state}: ${dollars(r.spentUsd)} of ${dollars(r.capUsd)} spent${held}; the smallest useful request needs up to ${formatBudgetUsdUp(r.neededUsd)}.`;
}
