// Where a worktree's submodules are. A submodule's folder is a repository of its own: the session's commits
// hold only a pointer to it, never the files in it, so what is written there is left out of the branch
// (and, in a submodule never set up, git does not see it at all).
import { stat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gitOutput, splitNul } from './git';

/** By worktree: the submodules found for .gitmodules and the index as they were (size and time), found again when either changes. */
const found = new Map<string, { stamp: string; paths: string[] }>();
const FOUND_KEPT = 256;

/**
 * The submodules' paths, worktree-relative with '/' separators: the paths .gitmodules names that the index
 * holds as submodules (a stale entry over a vendored copy is no submodule). None without a .gitmodules file,
 * and then no git runs.
 */
export async function submodulePaths(worktree: string): Promise<string[]> {
  const file = path.join(worktree, '.gitmodules');
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) return [];
  const index = await indexStamp(worktree);
  const stamp = `${st.size}:${st.mtimeMs}:${index}`;
  const known = found.get(worktree);
  if (known?.stamp === stamp) return known.paths;
  const named = namedPaths(await readFile(file, 'utf8'));
  let paths: string[] = [];
  if (named.length) {
    const out = await gitOutput(worktree, ['ls-files', '--stage', '-z', '--', ...named.map(p => `:(literal)${p}`)]);
    // "160000 <sha> <stage>\t<path>": a gitlink, a submodule's commit.
    if (out.exitCode === 0) paths = splitNul(out.stdout).filter(e => e.startsWith('160000 ')).map(e => e.slice(e.indexOf('\t') + 1));
  }
  if (found.size >= FOUND_KEPT) found.delete(found.keys().next().value!);
  found.set(worktree, { stamp, paths });
  return paths;
}

/**
 * The submodules whose folders are empty in the worktree: never set up there (a new worktree's, as git makes
 * it), so neither the agent nor git sees their files.
 */
export async function emptySubmodules(worktree: string): Promise<string[]> {
  const paths = await submodulePaths(worktree).catch(() => [] as string[]);
  const set = await Promise.all(paths.map(p => stat(path.join(worktree, p, '.git')).then(() => true, () => false)));
  return paths.filter((_, i) => !set[i]);
}

/** The worktree's index, as size and time: a checkout or `git rm --cached` can make a submodule's path a folder, or back. */
async function indexStamp(worktree: string): Promise<string> {
  const dotGit = path.join(worktree, '.git');
  const st = await stat(dotGit).catch(() => undefined);
  let gitDir = dotGit;
  if (st?.isFile()) {
    // A linked worktree: its .git file names its own git folder, where its index is.
    const named = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, 'utf8').catch(() => ''))?.[1]?.trim();
    if (named) gitDir = path.resolve(worktree, named);
  }
  const index = await stat(path.join(gitDir, 'index')).catch(() => undefined);
  return index ? `${index.size}:${index.mtimeMs}` : 'none';
}

/** `path = …` values of a .gitmodules file (git's config syntax: quoted or not, `;` and `#` comments). */
export function namedPaths(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*path\s*=\s*(.*)$/i.exec(line);
    if (!m) continue;
    const raw = m[1]!;
    const value = raw.startsWith('"') ? (/^"((?:[^"\\]|\\.)*)"/.exec(raw)?.[1] ?? '').replace(/\\(.)/g, '$1') : raw.replace(/\s*[;#].*$/, '').trim();
    const clean = value.replace(/\/+$/, '');
    if (clean) out.push(clean);
  }
  return out;
}

/** The submodule `rel` (worktree-relative, '/' separators) is in, or is. */
export function submoduleHolding(rel: string, paths: readonly string[]): string | undefined {
  return paths.find(p => rel === p || rel.startsWith(`${p}/`));
}
