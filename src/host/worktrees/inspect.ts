// Questions asked before anything is removed or merged: what is uncommitted, what is unmerged.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gitOutput, git, splitNul, type GitCallOptions } from './git';
import { branchTip, isAncestor, resolveCommit, treeOf } from './repo';
import { filtersOff } from './filtersOff';
import { excluding, nestedRepos, sortGitlinks } from './nestedRepos';
import { filesUnder, nestedSubmoduleWork, submoduleFiltersOff } from './nestedSubmoduleWork';
import { submodulePaths } from './submodulePaths';

/**
 * Files with uncommitted changes, staged or not, including untracked ones (ignored files excluded), and
 * those of the submodules, theirs reported as the submodule's path, and of their own submodules at any depth
 * (nestedSubmoduleWork.ts). A submodule folder whose repository a command may have made is not looked
 * into: it is counted as changed, whole. In a folder an
 * agent writes (`agentWritable`), files are compared as they are, with no filter driver (filtersOff.ts): one
 * a driver would store unchanged may be counted as changed.
 */
export async function dirtyFiles(cwd: string, opts: GitCallOptions, gitCommonDir: string, agentWritable = true): Promise<string[]> {
  const { untrusted, submodules } = await sortGitlinks(cwd, (await nestedRepos(cwd, opts)).gitlinks, gitCommonDir);
  // The git that status starts in each submodule reads its clone's config too: its drivers go off with ours
  // (settings given on the command line hold in the gits git starts, and win over their files).
  const off = agentWritable ? [...await filtersOff(cwd, gitCommonDir, opts), ...await submoduleFiltersOff(cwd, submodules)] : [];
  const out = await git(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=none', '--', ':/', ...excluding(untrusted)], { ...opts, config: [...(opts.config ?? []), ...off] });
  return [...new Set([...splitNul(out).map(entry => entry.slice(3)), ...untrusted, ...await nestedSubmoduleWork(cwd, submodules, gitCommonDir, agentWritable)])];
}

/**
 * Commits on `branch` whose work is not on `base`: 0 when the branch is an ancestor of base, and
 * also 0 when merging it would change nothing (its work landed another way, e.g. squashed).
 * When `base` no longer resolves, counts commits no other branch has.
 */
export async function unmergedCommits(repoRoot: string, branch: string, base: string): Promise<number> {
  const tip = await branchTip(repoRoot, branch);
  if (!tip) return 0;
  const baseCommit = await resolveCommit(repoRoot, base).catch(() => null);
  // Patterns for --branches are written without refs/heads/ (git's rule): with it, the branch itself
  // would count as another branch, and every commit as merged. Ref names hold no glob characters.
  const range = baseCommit ? [tip, '--not', baseCommit] : [tip, '--not', `--exclude=${branch}`, '--branches'];
  const count = Number((await git(repoRoot, ['rev-list', '--count', ...range])).trim());
  if (count === 0 || !baseCommit) return count;
  return (await mergeChangesNothing(repoRoot, baseCommit, tip)) ? 0 : count;
}

/**
 * Commits in a worktree's submodule clones that none of their remote-tracking branches has. A linked
 * worktree's submodules are cloned into its admin folder (`modules/`), which goes with the worktree: for
 * such commits that is the only copy. A clone whose history cannot be read counts as nothing.
 */
export async function unpushedSubmoduleCommits(adminDir: string): Promise<number> {
  let total = 0;
  for (const gitDir of submoduleGitDirs(path.join(adminDir, 'modules'), 0)) {
    // Its work tree is not needed, and may be gone (a worktree moved by hand): named as the git dir itself,
    // git does not try to enter the one the clone's config names. Tags count as kept, as remotes do.
    const out = await gitOutput(gitDir, ['rev-list', '--count', 'HEAD', '--branches', '--not', '--remotes', '--tags'], { env: { GIT_DIR: gitDir, GIT_WORK_TREE: gitDir } });
    if (out.exitCode === 0) total += Number(out.stdout.trim()) || 0;
  }
  return total;
}

/**
 * Files in the folder of a submodule that was never set up there (no .git in it): git sees none of them,
 * so no commit or status does, yet removing the worktree takes them. Worktree-relative, '/' separators.
 * (Those of a submodule's own submodules are in `dirtyFiles`.)
 */
export async function filesInBareSubmoduleFolders(worktree: string): Promise<string[]> {
  const bare = (await submodulePaths(worktree)).filter(sub => !existsSync(path.join(worktree, sub, '.git')));
  return filesUnder(worktree, bare);
}

/** Git dirs under a `modules/` folder: a submodule's name may hold slashes, and submodules nest. */
function submoduleGitDirs(dir: string, depth: number): string[] {
  if (depth > 8) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.filter(e => e.isDirectory()).flatMap(e => {
    const d = path.join(dir, e.name);
    const isGitDir = existsSync(path.join(d, 'HEAD')) && existsSync(path.join(d, 'objects'));
    return isGitDir ? [d, ...submoduleGitDirs(path.join(d, 'modules'), depth + 1)] : submoduleGitDirs(d, depth + 1);
  });
}

/** Commits reachable from `commit` but from no branch or tag (what a detached HEAD alone keeps). */
export async function commitsOnNoBranch(repoRoot: string, commit: string): Promise<number> {
  return Number((await git(repoRoot, ['rev-list', '--count', commit, '--not', '--branches', '--tags'])).trim());
}

/**
 * True when merging `tip` into `base` would leave base's tree as it is: its work is already there.
 * Uses `git merge-tree --write-tree` (git 2.38+); on older git answers false (no proof).
 */
export async function mergeChangesNothing(repoRoot: string, base: string, tip: string): Promise<boolean> {
  if (await isAncestor(repoRoot, tip, base)) return true;
  const out = await gitOutput(repoRoot, ['merge-tree', '--write-tree', '--no-messages', base, tip]);
  if (out.exitCode !== 0) return false;
  const mergedTree = out.stdout.split('\n')[0]?.trim();
  return mergedTree === (await treeOf(repoRoot, base));
}

/** Paths that differ between two commits, both sides of renames. */
export async function touchedFiles(cwd: string, from: string, to: string, opts?: GitCallOptions): Promise<string[]> {
  const out = await git(cwd, ['diff', '--name-only', '-z', '--no-renames', '--no-ext-diff', from, to], opts);
  return splitNul(out);
}

/** Paths left conflicted by a merge or rebase that stopped. */
export async function conflictedFiles(cwd: string, opts?: GitCallOptions): Promise<string[]> {
  // From the index alone: the worktree's files are not read (nor put through a filter driver, filtersOff.ts).
  const out = await git(cwd, ['diff', '--cached', '--name-only', '-z', '--diff-filter=U'], opts);
  return [...new Set(splitNul(out))];
}

/** Files in a git dir that say an operation stopped half-way, and the operation in words. */
const OPERATION_MARKERS: readonly (readonly [string, string])[] = [
  ['MERGE_HEAD', 'a merge'],
  ['rebase-merge', 'a rebase'],
  ['rebase-apply', 'a rebase'],
  ['CHERRY_PICK_HEAD', 'a cherry-pick'],
  ['REVERT_HEAD', 'a revert'],
];

/** The git operation a checkout is in the middle of (in words), or null. */
export async function operationInProgress(cwd: string, opts?: GitCallOptions): Promise<string | null> {
  const out = await git(cwd, ['rev-parse', ...OPERATION_MARKERS.flatMap(([marker]) => ['--git-path', marker])], opts);
  const paths = out.split('\n').map(l => l.trim());
  for (let i = 0; i < OPERATION_MARKERS.length; i++) {
    const p = paths[i];
    if (p && existsSync(path.resolve(cwd, p))) return OPERATION_MARKERS[i]![1];
  }
  return null;
}

/** The same, read from a worktree's registered admin folder: no git runs in an agent-writable worktree. */
export function operationInGitDir(gitDir: string): string | null {
  return OPERATION_MARKERS.find(([marker]) => existsSync(path.join(gitDir, marker)))?.[1] ?? null;
}
