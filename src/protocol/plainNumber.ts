// A number as a person writes it in a flag, a file or an input box: digits and a decimal point. Number()
// alone would also read 0x10 as 16, 1e1 as 10 and an empty text as 0.

/** `text` (trimmed) as a plain decimal, or NaN when it is not one. */
export function plainNumber(text: string): number {
  const t = text.trim();
  return /^(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : Number.NaN;
}
