// Typed errors of the loop guard, each with a message a person can act on.

export class GuardSettingsError extends Error {
  override readonly name = 'GuardSettingsError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Loop guard setting "${setting}" ${problem}.`);
  }
}

/** A trace file line that is not a valid turn; `line` is 1-based, as editors show it. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError';
  constructor(
    readonly source: string,
    readonly line: number,
    problem: string,
  ) {
    super(`${source} line ${line}: ${problem}`);
  }
}
