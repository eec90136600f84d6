// Dollars as a user types them into an input box.

/** "10", "$10", "2.50" as a number of dollars; NaN when it is not one. */
export function dollarsIn(text: string): number {
  const t = text.trim().replace(/^\$\s*/, '');
  return t === '' ? Number.NaN : Number(t);
}

export function isDollars(text: string, min: number, strictlyAbove = false): boolean {
  const n = dollarsIn(text);
  return Number.isFinite(n) && (strictlyAbove ? n > min : n >= min);
}
