// Dollars as a user types them into an input box.
import { plainNumber } from '../../protocol/plainNumber';

/** "10", "$10", "2.50", ".5" as a number of dollars; NaN when it is not one. */
export function dollarsIn(text: string): number {
  return plainNumber(text.trim().replace(/^\$\s*/, ''));
}

export function isDollars(text: string, min: number, strictlyAbove = false): boolean {
  const n = dollarsIn(text);
  return Number.isFinite(n) && (strictlyAbove ? n > min : n >= min);
}
