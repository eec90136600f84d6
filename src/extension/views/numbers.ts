// Numbers as people read them. Free of `vscode`, so the formatting rules are unit-tested in plain Node.
import { usd } from '../../protocol/money';
import { percent } from '../../protocol/percent';
import type { SessionInfo } from '../../protocol/types';

export { percent, usd };

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
