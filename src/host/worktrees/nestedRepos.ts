// Repositories inside a worktree that Switchyard's own git stays out of. To see whether a gitlink's folder
// changed, `git add` and `git status` run git inside it, and that git reads the folder's own .git/config,
// which a sandboxed command can write (a core.fsmonitor program, a filter's clean command): it would run in
// the host, unconfined. So the host never stages what is in such a folder, and never asks git about it.
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { gitOutput, splitNul, type GitCallOptions } from './git';

export interface NestedRepos {
  /** Folders holding a repository of their own that the index does not hold: `add --all` would stage them as gitlinks. */
  untracked: string[];
  /** Gitlinks the index holds (submodules, or repositories committed as pointers). */
  gitlinks: string[];
  /** Untracked files, not ignored: the listing has them anyway, and snapshots look at their size (largeFiles.ts). */
  untrackedFiles: string[];
}

/** All three, worktree-relative with '/' separators, from one `git ls-files` in the worktree's top folder. */
export async function nestedRepos(worktree: string, opts: GitCallOptions = {}): Promise<NestedRepos> {
  const out = await gitOutput(worktree, ['ls-files', '-z', '--stage', '--cached', '--others', '--exclude-standard', '--', ':/'], opts);
  const found: NestedRepos = { untracked: [], gitlinks: [], untrackedFiles: [] };
  if (out.exitCode !== 0) return found;
  for (const entry of splitNul(out.stdout)) {
    // Tracked entries are "<mode> <object> <stage>\t<path>"; untracked ones the path alone, a repository's
    // folder with a trailing slash.
    const tracked = /^(\d{6}) [0-9a-f]{40,64} \d\t/.exec(entry);
    if (tracked) {
      if (tracked[1] === '160000') found.gitlinks.push(entry.slice(tracked[0].length));
    } else if (entry.endsWith('/')) found.untracked.push(entry.slice(0, -1));
    else found.untrackedFiles.push(entry);
  }
  return found;
}

/** Pathspecs that leave `paths` (worktree-relative) out of a git command run anywhere in the worktree. */
export function excluding(paths: readonly string[]): string[] {
  return paths.map(p => `:(top,exclude,literal)${p}`);
}

/** A folder's gitlinks, by what git may do in them. Paths are folder-relative, '/' separators. */
export interface SortedGitlinks {
  /** Repositories git must not be run in: a `.git` folder, a link, or a file naming anywhere but the git folder. */
  untrusted: string[];
  /** Submodule checkouts as git makes them, with the real path of the clone each `.git` file names. */
  submodules: Array<{ path: string; gitDir: string }>;
  /** Never set up there (no `.git`): git sees nothing in the folder. */
  bare: string[];
}

/**
 * Gitlinks whose folder is a repository git must not be run in: any but a submodule checkout as git makes
 * one, whose `.git` is a file naming its clone inside the repository's git folder (which commands may not
 * write), found there by its real path (a link on the way may point anywhere). A `.git` folder, a link, or
 * a file naming anywhere else, a command may have made.
 */
export async function untrustedGitlinks(worktree: string, gitlinks: readonly string[], gitCommonDir: string): Promise<string[]> {
  return (await sortGitlinks(worktree, gitlinks, gitCommonDir)).untrusted;
}

/** The gitlinks of the checkout at `worktree`, sorted as `untrustedGitlinks` judges them. */
export async function sortGitlinks(worktree: string, gitlinks: readonly string[], gitCommonDir: string): Promise<SortedGitlinks> {
  const sorted: SortedGitlinks = { untrusted: [], submodules: [], bare: [] };
  if (!gitlinks.length) return sorted;
  const common = (await realpath(gitCommonDir).catch(() => path.resolve(gitCommonDir))) + path.sep;
  for (const rel of gitlinks) {
    const dotGit = path.join(worktree, rel, '.git');
    const st = await lstat(dotGit).catch(() => undefined);
    if (!st) {
      sorted.bare.push(rel);
      continue;
    }
    // As git reads it: "gitdir: " and the rest of the first line.
    const named = st.isFile() ? /^gitdir: (.*)$/m.exec((await readFile(dotGit, 'utf8').catch(() => '')).split('\n')[0] ?? '')?.[1]?.trimEnd() : undefined;
    // Resolved as git does, on disk: `L/..` climbs out of the folder a link L names, not back to L's own.
    const written = named ? (path.isAbsolute(named) ? named : `${path.dirname(dotGit)}${path.sep}${named}`) : undefined;
    const real = written ? await realpath(written).catch(() => undefined) : undefined;
    if (!real || !(real + path.sep).startsWith(common)) sorted.untrusted.push(rel);
    else sorted.submodules.push({ path: rel, gitDir: real });
  }
  return sorted;
}

/** The gitlinks the index of the checkout at `dir` holds, and nothing else (no walk of untracked files); undefined when git cannot say. */
export async function gitlinksIn(dir: string, opts: GitCallOptions): Promise<string[] | undefined> {
  const out = await gitOutput(dir, ['ls-files', '-z', '--stage', '--cached', '--', ':/'], opts);
  if (out.exitCode !== 0) return undefined;
  return splitNul(out.stdout).filter(e => e.startsWith('160000 ')).map(e => e.slice(e.indexOf('\t') + 1));
}
