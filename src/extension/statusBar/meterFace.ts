// What the status-bar meter says and how it is coloured. Free of `vscode`, so the rules are unit-tested.
import { capStops, type BudgetStatus, type SpendSummary } from '../../protocol/spend';
import { percent, usd } from '../views/numbers';

/** From this share of a cap on, the meter warns. */
export const WARN_SHARE = 0.8;

export interface MeterFace {
  text: string;
  /** For screen readers: the colour alone says nothing to them (nor to everyone in every theme). */
  label: string;
  level: 'none' | 'warning' | 'error';
}

const CAP_NAME: Record<BudgetStatus['scope'], string> = { session: 'session budget', day: 'day cap', month: 'month cap' };

export function meterFace(s: SpendSummary): MeterFace {
  const today = s.today;
  const spend = `${usd(today.costUsd)} · ${percent(today.cacheShare)} cached`;
  const label = `Switchyard spend today ${usd(today.costUsd)}, ${percent(today.cacheShare)} of input cached`;
  // Spent and reserved by requests in flight: what the caps are enforced on.
  const share = (b: BudgetStatus) => b.capUsd > 0 ? (b.spentUsd + b.reservedUsd) / b.capUsd : 0;
  const worst = s.budgets.reduce<BudgetStatus | undefined>((w, b) => (!w || share(b) > share(w) ? b : w), undefined);
  const cap = worst ? CAP_NAME[worst.scope] : 'cap';
  if (s.capReached) {
    // The cap that stops work, which may not be the fullest (a day cap whose remainder cannot pay a request).
    const stopping = s.budgets.find(capStops);
    const name = stopping ? CAP_NAME[stopping.scope] : cap;
    return { text: `$(warning) ${spend} · ${name} reached`, label: `${label}. The ${name} is reached: work is stopped.`, level: 'error' };
  }
  if (worst && share(worst) >= WARN_SHARE) {
    const used = `${percent(share(worst))} of ${cap}`;
    return { text: `$(warning) ${spend} · ${used}`, label: `${label}. Warning: ${used} used.`, level: 'warning' };
  }
  return { text: `$(pulse) ${spend}`, label, level: 'none' };
}
