// Uncommitted work in a submodule's own submodules. Asked about its submodules, git looks one level down
// and no deeper: the git it starts in a submodule inherits the host's diff.ignoreSubmodules=all (git.ts),
// which keeps every git out of folders whose config a command may have written. So a change two levels
// down was seen by nothing, and removing the worktree took it unasked. Each submodule's own submodules are
// looked at here instead, by a git run in each directly, only in a checkout whose `.git` names a clone
// inside the repository's git folder, and with that clone's filter drivers off as well as the user's.
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { gitOutput, splitNul } from './git';
import { filtersOff } from './filtersOff';
import { gitlinksIn, sortGitlinks } from './nestedRepos';
import { inWorktree } from './registry';

/** Submodules nest this deep at most before the look stops (as the clones' walk in inspect.ts does). */
const MAX_DEPTH = 8;
/** Enough to show and to ask about: a walk stops there (a huge vendored tree is not listed whole). */
const FILES_LISTED = 200;

/**
 * Uncommitted files below the given submodules of the checkout at `dir` (their paths `dir`-relative, '/'
 * separators), in their own submodules and deeper, not in the submodules themselves (git's own status of
 * `dir` covers those). A nested repository git may not be run in counts as changed whole; files in the
 * folder of a nested submodule never set up, which git cannot see, are listed.
 */
export async function nestedSubmoduleWork(
  dir: string,
  submodules: ReadonlyArray<{ path: string; gitDir: string }>,
  gitCommonDir: string,
  agentWritable: boolean,
  depth = 1,
): Promise<string[]> {
  if (depth > MAX_DEPTH) return [];
  const out: string[] = [];
  for (const sub of submodules) {
    const subDir = path.join(dir, sub.path);
    const inSub = inWorktree({ gitDir: sub.gitDir, worktree: subDir });
    const links = await gitlinksIn(subDir, inSub);
    // What git cannot list, it cannot vouch for: the submodule counts as changed.
    if (!links) {
      out.push(sub.path);
      continue;
    }
    const sorted = await sortGitlinks(subDir, links, gitCommonDir);
    const under = (p: string) => `${sub.path}/${p}`;
    out.push(...sorted.untrusted.map(under), ...(await filesUnder(subDir, sorted.bare)).map(under));
    const looked = [...sorted.submodules.map(n => n.path), ...sorted.bare];
    if (looked.length) {
      // A nested submodule's commit moved from the one `sub` holds, or its folder deleted or made a file.
      // Compared by its HEAD alone (=dirty): git reads the ref, and runs nothing in the folder.
      const moved = await gitOutput(subDir, ['status', '--porcelain=v1', '-z', '--untracked-files=no', '--no-renames', '--ignore-submodules=dirty', '--', ...looked.map(p => `:(literal)${p}`)], inSub);
      out.push(...(moved.exitCode === 0 ? splitNul(moved.stdout).map(entry => under(entry.slice(3))) : [sub.path]));
    }
    for (const inner of sorted.submodules) {
      const innerDir = path.join(subDir, inner.path);
      const opts = inWorktree({ gitDir: inner.gitDir, worktree: innerDir });
      const off = agentWritable ? await filtersOff(innerDir, inner.gitDir, opts) : [];
      // Its own submodules are left to the next level down.
      const status = await gitOutput(innerDir, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=all', '--', ':/'], { ...opts, config: off });
      // What git cannot tell (a clone it cannot read) counts as changed, whole: a forced discard still goes.
      out.push(...(status.exitCode === 0 ? splitNul(status.stdout).map(entry => under(`${inner.path}/${entry.slice(3)}`)) : [under(inner.path)]));
    }
    out.push(...(await nestedSubmoduleWork(subDir, sorted.submodules, gitCommonDir, agentWritable, depth + 1)).map(under));
  }
  return out;
}

/** `-c` settings that turn off the filter drivers the clones of `dir`'s submodules configure. */
export async function submoduleFiltersOff(dir: string, submodules: ReadonlyArray<{ path: string; gitDir: string }>): Promise<string[]> {
  const off: string[] = [];
  for (const sub of submodules) {
    const subDir = path.join(dir, sub.path);
    off.push(...await filtersOff(subDir, sub.gitDir, inWorktree({ gitDir: sub.gitDir, worktree: subDir })));
  }
  return [...new Set(off)];
}

/** Files in the given folders of `root` (root-relative, '/' separators), up to FILES_LISTED. */
export async function filesUnder(root: string, folders: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (out.length >= FILES_LISTED) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  for (const folder of folders) {
    const full = path.join(root, folder);
    // A link where a submodule's folder should be is itself what would be removed, not what it points to.
    if ((await lstat(full).catch(() => undefined))?.isSymbolicLink()) out.push(folder);
    else await walk(full);
  }
  return out;
}
