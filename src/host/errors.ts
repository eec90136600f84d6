// An error whose message is meant for the user as is (shown in VS Code, printed by the CLI).
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The request itself is wrong (a bad path, an unknown role, a negative budget): the CLI exits 2. */
export class InvalidRequestError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** What to log of something thrown that nobody expected: its stack where it has one. */
export function stackOf(err: unknown): string {
  return err instanceof Error ? err.stack ?? err.message : String(err);
}
