// The folder of the repository the user works in, when a session is started from below its root (a package
// of a monorepo opened in the editor, `switchyard run --repo packages/web`). The worktree is the whole
// repository's; the agent is told where the user is (built-in), or starts there (Codex, a command).
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
  const rel = path.relative(root, real);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return safeFolder(rel.split(path.sep).join('/'));
}

/** A recorded folder as it may be used: relative, inside the repository, not in git's own folder; else undefined. */
export function safeFolder(folder: unknown): string | undefined {
  if (typeof folder !== 'string' || !folder || path.posix.isAbsolute(folder) || path.win32.isAbsolute(folder)) return undefined;
  const parts = folder.split('/');
  return parts.some(p => p === '' || p === '.' || p === '..' || p === '.git') ? undefined : folder;
}

/** Where a Codex or command agent starts: the user's folder in the worktree, where the branch has it; else the worktree. */
export function startDir(worktree: string, folder: string | undefined): string {
  if (!folder) return worktree;
  const dir = path.join(worktree, ...folder.split('/'));
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? dir : worktree;
}
