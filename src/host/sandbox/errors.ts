// Typed failures of the OS sandbox. Messages are written for the person reading the session's note.

export class SandboxError extends Error {
  override readonly name: string = 'SandboxError';
}

/** The sandbox cannot run on this machine; `install` is the command that would fix it, when one exists. */
export class SandboxUnavailableError extends SandboxError {
  override readonly name = 'SandboxUnavailableError';
  constructor(
    readonly reason: string,
    readonly install?: string,
  ) {
    super(install ? `The OS sandbox cannot run here: ${reason}. Install what is missing with: ${install}` : `The OS sandbox cannot run here: ${reason}.`);
  }
}
