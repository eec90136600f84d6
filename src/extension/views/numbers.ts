// Numbers as people read them. Free of `vscode`, so the formatting rules are unit-tested in plain Node.
import { percent } from '../../protocol/percent';
import type { SessionInfo } from '../../protocol/types';

export { percent };

export function money(usd: number): string {
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) < 1) return `$${usd.toFixed(usd < 0.01 ? 4 : 3)}`;
  return `$${usd.toFixed(2)}`;
}

export function tokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)}M`;
}

export function cacheShare(s: SessionInfo): string {
  return percent(s.usage.input > 0 ? s.usage.cached / s.usage.input : 0);
}

/** "1 turn", "2 turns". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
