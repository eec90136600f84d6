// Typed failures of the git layer, so callers can tell "ask the user" from "something is broken".

export type WorktreeErrorCode =
  | 'git-missing'
  | 'not-a-repo'
  | 'bare-repo'
  | 'no-commits'
  | 'bad-ref'
  | 'bad-branch-name'
  | 'branch-exists'
  | 'path-exists'
  | 'inside-checkout'
  | 'not-a-worktree'
  | 'untrusted-worktree'
  | 'worktree-locked'
  | 'operation-in-progress'
  /** The worktree was removed; its branch, asked to go, is checked out in another worktree and stays. */
  | 'branch-checked-out'
  | 'git-failed';

export class WorktreeError extends Error {
  constructor(
    readonly code: WorktreeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WorktreeError';
  }
}

/** A git command that exited non-zero; `exitCode` lets callers treat expected codes (1 = "no"/conflict) as answers. */
export class GitCommandError extends WorktreeError {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super('git-failed', `git ${args.join(' ')} failed (exit ${exitCode})${summary(stderr || stdout)}`);
    this.name = 'GitCommandError';
  }
}

function summary(output: string): string {
  const lines = output.split('\n').map(l => l.trim()).filter(Boolean);
  const useful = lines.filter(l => /^(fatal|error):/.test(l));
  const shown = (useful.length ? useful : lines).slice(0, 3);
  // A line ending in a colon introduces what follows it (the paths a refusal names): keep a few of those.
  const last = shown.at(-1);
  if (last?.endsWith(':')) {
    const after = lines.slice(lines.indexOf(last) + 1).filter(l => !/^hint:/.test(l));
    shown.push(...after.slice(0, 5), ...(after.length > 5 ? [`(and ${after.length - 5} more)`] : []));
  }
  return shown.length ? `: ${shown.join(' ')}` : '';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
