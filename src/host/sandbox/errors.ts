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

/** The sandbox's start was cancelled because this process is stopping (Ctrl-C): nothing is wrong with it. */
export class SandboxInterruptedError extends SandboxError {
  override readonly name = 'SandboxInterruptedError';
  constructor() {
    super('The OS sandbox was still starting when this process was told to stop; its commands ask first until the next run starts it.');
  }
}
