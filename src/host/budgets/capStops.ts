// Which day or month cap stops work now. A cap stops work before all of it is spent: what is left may not
// pay for the next request's worst case. So a cap counts as reached from the moment it refused a request
// outright (not a wait for others' requests to settle) until one gets through, it is raised, or its period ends.
import { localDay, localMonth } from '../ledger/localDate';
import type { BudgetScope } from './fit';

type MachineScope = Exclude<BudgetScope, 'session'>;

export class CapStops {
  private readonly refusedBy = new Map<MachineScope, { period: string; capMicro: number }>();

  /** A request refused outright by `scope`'s cap of `capMicro`. */
  refused(scope: MachineScope, capMicro: number, now: Date): void {
    this.refusedBy.set(scope, { period: periodOf(scope, now), capMicro });
  }

  /** A request let through: the caps stop no work now (the one refused may have been a larger one). */
  letThrough(): void {
    this.refusedBy.clear();
  }

  /** Whether `scope`'s cap, at `capMicro` now, stops work. */
  stops(scope: BudgetScope, capMicro: number, now: Date): boolean {
    if (scope === 'session') return false;
    const at = this.refusedBy.get(scope);
    return at !== undefined && at.period === periodOf(scope, now) && capMicro <= at.capMicro;
  }
}

function periodOf(scope: MachineScope, now: Date): string {
  return scope === 'day' ? localDay(now) : localMonth(now);
}
