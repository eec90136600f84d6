// Numbers as people read them. Free of `vscode`, so the formatting rules are unit-tested in plain Node.
import { usd } from '../../protocol/money';
import { percent } from '../../protocol/percent';
import { tokens } from '../../protocol/tokenCount';
import type { SessionInfo } from '../../protocol/types';

export { percent, tokens, usd };

export function cacheShare(s: SessionInfo): string {
  return percent(s.usage.input > 0 ? s.usage.cached / s.usage.input : 0);
}

/** "1 turn", "2 turns". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
