// Dollars as a user types them into an input box.

/** "10", "$10", "2.50", ".5" as a number of dollars; NaN when it is not one (Number() would take "0x10" as 16, and "1e1"). */
export function dollarsIn(text: string): number {
  const t = text.trim().replace(/^\$\s*/, '');
  return /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
}

export function isDollars(text: string, min: number, strictlyAbove = false): boolean {
  const n = dollarsIn(text);
  return Number.isFinite(n) && (strictlyAbove ? n > min : n >= min);
}
