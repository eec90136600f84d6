// Quoting for POSIX sh, for the scripts the sandbox wraps.

/** One shell word that the shell reads back as exactly `s`. */
export function shQuote(s: string): string {
  if (s.includes('\0')) throw new RangeError('a shell word cannot contain a NUL byte');
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shQuoteArgv(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
