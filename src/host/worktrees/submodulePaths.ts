// Where a worktree's submodules are, as its .gitmodules names them. A submodule's folder is its own
// repository: the session's commits hold only a pointer to it, never the files in it, so what is written
// there is left out of the branch (and, in a submodule never set up, git does not see it at all).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The submodules' paths, worktree-relative with '/' separators; none without a .gitmodules file. */
export async function submodulePaths(worktree: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.join(worktree, '.gitmodules'), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*path\s*=\s*(.*?)\s*$/i.exec(line);
    const value = m?.[1]?.replace(/^"(.*)"$/, '$1').replace(/\/+$/, '');
    if (value) out.push(value);
  }
  return out;
}

/** The submodule `rel` (worktree-relative, '/' separators) is in, or is. */
export function submoduleHolding(rel: string, paths: readonly string[]): string | undefined {
  return paths.find(p => rel === p || rel.startsWith(`${p}/`));
}
