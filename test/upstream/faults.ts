// Which injected fault, if any, a request gets. The first matching fault with firings left wins.
import type { Fault } from './types';

export interface FaultContext {
  path: string;
  n: number;
  script?: string;
}

export class FaultBook {
  private faults: { fault: Fault; fired: number }[] = [];

  set(faults: readonly Fault[]): void {
    this.faults = faults.map(fault => ({ fault: structuredClone(fault), fired: 0 }));
  }

  take(ctx: FaultContext): Fault | undefined {
    for (const entry of this.faults) {
      const { fault } = entry;
      if (fault.times !== undefined && entry.fired >= fault.times) continue;
      if (!matches(fault, ctx)) continue;
      entry.fired++;
      return fault;
    }
    return undefined;
  }
}

function matches(fault: Fault, ctx: FaultContext): boolean {
  const m = fault.match;
  if (!m) return true;
  if (m.path !== undefined && ctx.path !== m.path && !ctx.path.endsWith(m.path.startsWith('/') ? m.path : `/${m.path}`)) return false;
  if (m.nth !== undefined && ctx.n !== m.nth) return false;
  if (m.script !== undefined && ctx.script !== m.script) return false;
  return true;
}
