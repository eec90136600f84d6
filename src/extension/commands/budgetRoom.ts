// New Session's word on a session budget the day's or month's cap cannot pay for: the session would stop
// at that cap, well before its own. Free of `vscode`, so it is unit-tested in plain Node.
import type { BudgetStatus, SpendSummary } from '../../protocol/spend';
import { usd } from '../views/numbers';

export interface CapsLeftWarning {
  /** "more than the $4.20 left under today's cap" */
  what: string;
  /** What it means for the session. */
  so: string;
  /** For the Start row, which has little room: "only $4.20 left today". */
  short: string;
}

/**
 * What the tighter of the day and month caps has left, when a session budget of `budgetUsd` is more; with
 * no session budget (`null`), only a cap that stops it from starting is said: spent, or with less left than
 * its first request reserves (`firstUsd`, when known: the built-in agent's).
 */
export function budgetAboveCapsLeft(budgetUsd: number | null, spend: SpendSummary | undefined, firstUsd?: number | null): CapsLeftWarning | undefined {
  if (!spend) return undefined;
  const tightest = spend.budgets
    .filter((b): b is BudgetStatus & { scope: 'day' | 'month' } => b.scope !== 'session')
    // What is spent, as a start is held to it: not what requests in flight hold (most of it comes back when
    // they end), nor a cap that refused one larger request (a smaller one may still go).
    .map(b => ({ scope: b.scope, left: Math.max(0, b.capUsd - b.spentUsd) }))
    .sort((a, b) => a.left - b.left)[0];
  if (!tightest) return undefined;
  const [cap, period] = tightest.scope === 'day' ? ["today's cap", 'today'] : ["this month's cap", 'this month'];
  if (tightest.left < 1e-6) return { what: `${cap} is spent`, so: 'it cannot start until that cap is raised', short: `${cap} is spent` };
  if (firstUsd != null && tightest.left < firstUsd) {
    return { what: `only ${usd(tightest.left)} left under ${cap}, less than its first request reserves (${usd(firstUsd)})`, so: 'it cannot start until that cap is raised', short: `${cap} too low to start` };
  }
  if (budgetUsd == null || budgetUsd <= tightest.left + 1e-9) return undefined;
  return { what: `more than the ${usd(tightest.left)} left under ${cap}`, so: 'it stops there', short: `only ${usd(tightest.left)} left ${period}` };
}
