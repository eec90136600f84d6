// The folder of the repository the user works in, when a session is started from below its root (a package
// of a monorepo opened in the editor, `switchyard run --repo packages/web`). The worktree is the whole
// repository's; the agent is told where the user is (the built-in agent, Codex), or starts there (a command).
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** `dir` relative to `root` with '/' separators, when it is a folder strictly below it; else undefined. */
export function folderWithin(root: string, dir: string): string | undefined {
  let real: string;
  try {
    real = realpathSync.native(dir);
  } catch {
    return undefined;
  }
  return isBelow(root, real) ? safeFolder(path.relative(root, real).split(path.sep).join('/')) : undefined;
}

/** A recorded folder as it may be used: relative, inside the repository, not in git's own folder; else undefined. */
export function safeFolder(folder: unknown): string | undefined {
  // Nor a backslash: on Windows it separates, and a\..\.. would lead out.
  if (typeof folder !== 'string' || !folder || folder.includes('\\') || path.posix.isAbsolute(folder) || path.win32.isAbsolute(folder)) return undefined;
  const parts = folder.split('/');
  return parts.some(p => p === '' || p === '.' || p === '..' || p === '.git') ? undefined : folder;
}

/**
 * Where a command agent starts: the user's folder in the worktree, where the branch has it as a folder of
 * its own; else the worktree. Never out of it: the agent could have made the folder a symlink to anywhere.
 */
export function startDir(worktree: string, folder: string | undefined): string {
  if (!folder) return worktree;
  try {
    const real = realpathSync.native(path.join(worktree, ...folder.split('/')));
    return statSync(real).isDirectory() && isBelow(realpathSync.native(worktree), real) ? real : worktree;
  } catch {
    return worktree;
  }
}

/** `dir` is strictly below `root` (not it, not above it, not on another drive); both real paths. */
export function isBelow(root: string, dir: string): boolean {
  const rel = path.relative(root, dir);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
