// An error whose message is meant for the user as is (shown in VS Code, printed by the CLI).
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** The process was told to stop (Ctrl-C) before the work began: nothing was made or changed (the CLI exits 130). */
export class InterruptedError extends UserError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InterruptedError';
  }
}

/** The request itself is wrong (a bad path, an unknown role, a negative budget): the CLI exits 2. */
export class InvalidRequestError extends UserError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidRequestError';
  }
}

/**
 * A cap already spent when a session would start or be resumed (a resume's own budget too): not a mistake in
 * the request but a limit reached, as a session that reaches it mid-run is stopped by it (the CLI exits 3 and
 * names the cause).
 */
export class CapReachedError extends UserError {
  constructor(message: string, readonly statusCause: 'session-budget' | 'day-budget' | 'month-budget') {
    super(message);
    this.name = 'CapReachedError';
  }
}

/** What to log of something thrown that nobody expected: its stack where it has one. */
export function stackOf(err: unknown): string {
  return err instanceof Error ? err.stack ?? err.message : String(err);
}
