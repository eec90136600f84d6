// Why New Session cannot start in a window with no usable repository, and what it offers to open instead.
// Free of `vscode`, so it is unit-tested in plain Node.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { plural } from '../views/numbers';

/** Why New Session cannot start here, and what it offers to open instead. */
export function noRepositoryMessage(folders: readonly string[], noCommits: boolean): { message: string; open: { label: string; folder?: string }[] } {
  if (noCommits) {
    return {
      message: 'This repository has no commit yet, and a session starts from a commit. Make a first commit (git add, git commit), then start a session.',
      open: [],
    };
  }
  if (!folders.length) return { message: 'Switchyard needs a folder inside a git repository. Open one, then start a session.', open: [{ label: 'Open Folder…' }] };
  // `git init` in a folder that holds repositories would wrap them: offer those instead.
  const below = folders.flatMap(reposBelow);
  if (below.length) {
    const names = below.map(r => path.basename(r));
    const said = names.length === 1 ? names[0] : names.length === 2 ? `${names[0]} and ${names[1]}` : `${names.slice(0, 2).join(', ')} and ${plural(names.length - 2, 'more')}`;
    return {
      message: `No folder open here is in a git repository, but ${said}, inside ${folders.length === 1 ? 'it' : 'them'}, ${names.length === 1 ? 'is one' : 'are'}. Open one (or add it to the workspace) to start sessions there.`,
      open: [...below.slice(0, 2).map(r => ({ label: `Open ${path.basename(r)}`, folder: r })), { label: 'Open Folder…' }],
    };
  }
  return {
    message: 'Switchyard needs a folder inside a git repository, and no folder open here is in one. Make one a repository (git init and a first commit), or open another, then start a session.',
    open: [{ label: 'Open Folder…' }],
  };
}

/** Repositories one level below `folder` (a folder of checkouts), by name. Unreadable folders hold none. */
export function reposBelow(folder: string): string[] {
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter(e => e.isDirectory() && !e.name.startsWith('.') && existsSync(path.join(folder, e.name, '.git')))
      .map(e => path.join(folder, e.name))
      .sort();
  } catch {
    return [];
  }
}
