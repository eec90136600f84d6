// Opening a repository and reading its branches: the read-only questions every other part asks first.
import { statSync } from 'node:fs';
import path from 'node:path';
import { WorktreeError } from './errors';
import { git, gitLine, gitOutput } from './git';
import { canonicalPath } from './paths';

export interface Repo {
  /** Top folder of the working tree that contains the path that was opened. */
  root: string;
  /** The `.git` folder shared by the checkout and all its worktrees (absolute). */
  gitCommonDir: string;
  /** Folder that names the repository for locks and homes: the main checkout (or the bare git dir). */
  identityRoot: string;
}

/** What HEAD was when the repository was opened. */
export interface RepoHead {
  commit: string;
  /** The branch checked out, or null when HEAD is detached. */
  branch: string | null;
}

export async function openRepo(p: string): Promise<Repo> {
  return (await openRepoWithHead(p)).repo;
}

/**
 * Opens the repository and reads HEAD in one git process (a fleet opens its repository for every session,
 * and each process costs the host a fork). When anything is off, the step-by-step path says exactly what.
 */
export async function openRepoWithHead(p: string): Promise<{ repo: Repo; head: RepoHead }> {
  const abs = path.resolve(p);
  const cwd = folderOf(abs);
  const out = await gitOutput(cwd, ['rev-parse', '--is-bare-repository', '--is-inside-work-tree', '--git-common-dir', '--git-dir', '--show-toplevel', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD']);
  const [bare, insideWorkTree, commonDir, gitDir, top, commit, ref] = out.stdout.split('\n').map(l => l.trim());
  if (out.exitCode !== 0 || bare !== 'false' || insideWorkTree !== 'true' || !commonDir || !gitDir || !top || !commit || !ref) {
    const repo = await openStepByStep(cwd, abs);
    return { repo, head: { commit: await resolveCommit(repo.root, 'HEAD'), branch: await currentBranch(repo.root) } };
  }
  const repo = repoAt(canonicalPath(top), canonicalPath(path.resolve(cwd, commonDir)), canonicalPath(path.resolve(cwd, gitDir)));
  return { repo, head: { commit, branch: ref === 'HEAD' ? null : stripHeads(ref) } };
}

function folderOf(abs: string): string {
  try {
    return statSync(abs).isDirectory() ? abs : path.dirname(abs);
  } catch {
    throw new WorktreeError('not-a-repo', `${abs} does not exist`);
  }
}

/** `abs` is the path as given, for the messages. */
async function openStepByStep(cwd: string, abs: string): Promise<Repo> {
  const probe = await gitOutput(cwd, ['rev-parse', '--is-bare-repository', '--is-inside-work-tree', '--git-common-dir', '--git-dir']);
  if (probe.exitCode !== 0) throw new WorktreeError('not-a-repo', `${abs} is not inside a git repository`);
  const [bare, insideWorkTree, commonDir, gitDir] = probe.stdout.split('\n').map(l => l.trim());
  if (bare === 'true') throw new WorktreeError('bare-repo', `${abs} is a bare repository; open a folder with a checkout`);
  if (insideWorkTree !== 'true' || !commonDir) throw new WorktreeError('not-a-repo', `${abs} is not inside a git repository's working tree`);
  const root = canonicalPath(await gitLine(cwd, ['rev-parse', '--show-toplevel']));
  const head = await gitOutput(root, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (head.exitCode !== 0) throw new WorktreeError('no-commits', `the repository at ${root} has no commits yet; make a first commit, then start a session`);
  return repoAt(root, canonicalPath(path.resolve(cwd, commonDir)), canonicalPath(path.resolve(cwd, gitDir ?? commonDir)));
}

/**
 * The repository is known by its main checkout's folder, whichever of its worktrees was opened: the one
 * its `.git` folder is in, or, for a git folder named otherwise (a submodule's, under the superproject's
 * .git/modules; one made with --separate-git-dir), the checkout opened when it is the main one.
 */
function repoAt(root: string, gitCommonDir: string, gitDir: string): Repo {
  const identityRoot = path.basename(gitCommonDir) === '.git' ? path.dirname(gitCommonDir) : gitDir === gitCommonDir ? root : gitCommonDir;
  return { root, gitCommonDir, identityRoot };
}

/** The branch checked out at `repoRoot`, or null when HEAD is detached. */
export async function currentBranch(repoRoot: string): Promise<string | null> {
  const out = await gitOutput(repoRoot, ['symbolic-ref', '--quiet', 'HEAD']);
  if (out.exitCode !== 0) return null;
  return stripHeads(out.stdout.trim());
}

/** Local branch names, sorted. */
export async function listBranches(repoRoot: string): Promise<string[]> {
  const out = await git(repoRoot, ['for-each-ref', '--format=%(refname)', 'refs/heads/']);
  return out
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)
    .map(stripHeads)
    .sort();
}

/** Every local branch and the commit it points to. */
export async function branchTips(repoRoot: string): Promise<Map<string, string>> {
  const out = await git(repoRoot, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/']);
  const tips = new Map<string, string>();
  for (const line of out.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) tips.set(stripHeads(line.slice(space + 1).trim()), line.slice(0, space));
  }
  return tips;
}

/** Full sha of the commit `ref` names. */
export async function resolveCommit(repoRoot: string, ref: string): Promise<string> {
  if (!ref || ref.startsWith('-')) throw new WorktreeError('bad-ref', `"${ref}" does not name a commit`);
  const out = await gitOutput(repoRoot, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (out.exitCode !== 0) throw new WorktreeError('bad-ref', `"${ref}" does not name a commit in ${repoRoot}`);
  return out.stdout.trim();
}

/**
 * The local branch `name` means (`main`, `heads/main` or `refs/heads/main`), or what it is instead (null:
 * nothing git knows). A session's work is merged back into the branch it started from: it starts from no other.
 */
export async function localBranchNamed(repoRoot: string, name: string): Promise<{ branch: string } | { not: string | null }> {
  if (name.startsWith('-')) return { not: null };
  // A branch first: a tag of the same name would win git's own lookup.
  if (await branchTip(repoRoot, name)) return { branch: name };
  const full = (await gitOutput(repoRoot, ['rev-parse', '--verify', '--quiet', '--symbolic-full-name', name])).stdout.trim();
  if (full.startsWith('refs/heads/') && (await branchTip(repoRoot, stripHeads(full)))) return { branch: stripHeads(full) };
  const commit = await gitOutput(repoRoot, ['rev-parse', '--verify', '--quiet', `${name}^{commit}`]);
  if (commit.exitCode !== 0) return { not: null };
  return { not: refKind(full) };
}

/** A name that is no local branch, in words: a tag, a remote-tracking branch, or a commit. */
export function refKind(fullName: string): string {
  if (fullName.startsWith('refs/tags/')) return 'a tag';
  if (fullName.startsWith('refs/remotes/')) return 'a remote-tracking branch';
  return 'a commit on no branch';
}

/** Sha of a local branch, or null when there is no such branch. */
export async function branchTip(repoRoot: string, branch: string): Promise<string | null> {
  const out = await gitOutput(repoRoot, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  return out.exitCode === 0 ? out.stdout.trim() : null;
}

export async function treeOf(repoRoot: string, commit: string): Promise<string> {
  return gitLine(repoRoot, ['rev-parse', '--verify', `${commit}^{tree}`]);
}

export async function isAncestor(repoRoot: string, ancestor: string, descendant: string): Promise<boolean> {
  const out = await gitOutput(repoRoot, ['merge-base', '--is-ancestor', ancestor, descendant]);
  if (out.exitCode === 0) return true;
  if (out.exitCode === 1) return false;
  throw new WorktreeError('git-failed', `could not compare ${ancestor} and ${descendant}: ${out.stderr.trim()}`);
}

/** Checks a branch name with git's own rules (`git check-ref-format --branch`). */
export async function assertBranchName(repoRoot: string, branch: string): Promise<void> {
  const ok = !branch.startsWith('-') && branch !== 'HEAD' && (await gitOutput(repoRoot, ['check-ref-format', '--branch', branch])).exitCode === 0;
  if (!ok) throw new WorktreeError('bad-branch-name', `"${branch}" is not a valid branch name`);
}

function stripHeads(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}
