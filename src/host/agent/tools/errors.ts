// Errors a tool reports to the model as a failed tool call (never as a crash of the session).

/** A failure the model caused or can fix; its message is shown to the model verbatim. */
export class ToolError extends Error {
  override readonly name: string = 'ToolError';
}

interface ErrnoLike {
  code: string;
  message: string;
}

export function isErrno(err: unknown): err is ErrnoLike {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Turns a Node fs error into a sentence about the worktree-relative path the model used. */
export function describeFsError(err: unknown, relPath: string): string | undefined {
  if (!isErrno(err)) return undefined;
  const p = `'${relPath}'`;
  switch (err.code) {
    case 'ENOENT':
      return `${p} does not exist`;
    case 'EISDIR':
      return `${p} is a directory, not a file`;
    case 'ENOTDIR':
      return `a parent of ${p} is a file, not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied for ${p}`;
    case 'ENOSPC':
      return `no space left on the device while writing ${p}`;
    case 'EROFS':
      return `${p} is on a read-only file system`;
    case 'ENAMETOOLONG':
      return `the path ${p} is too long`;
    case 'ELOOP':
      return `${p} goes through a loop of symbolic links`;
    default:
      return `${p}: ${err.message}`;
  }
}

/** Rethrows an fs error as a ToolError about relPath; other errors pass through unchanged. */
export function asToolError(err: unknown, relPath: string): Error {
  const message = describeFsError(err, relPath);
  if (message !== undefined) return new ToolError(message);
  return err instanceof Error ? err : new Error(String(err));
}
