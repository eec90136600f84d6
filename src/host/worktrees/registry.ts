// What git knows about a repository's worktrees, and how to run git inside one without trusting it.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { WorktreeError } from './errors';
import { git, type GitCallOptions } from './git';
import { canonicalPath, isInside } from './paths';
import { openRepo, type Repo } from './repo';

export interface WorktreeEntry {
  path: string;
  /** Commit checked out, or null for a worktree on an unborn branch. */
  head: string | null;
  /** Branch checked out (without `refs/heads/`), or null when detached. */
  branch: string | null;
  /** The repository's own checkout (the first entry git lists). */
  main: boolean;
  locked: boolean;
  /** Why, as `git worktree lock --reason` or git itself put it ("initializing": a `worktree add` not finished). */
  lockReason: string | null;
  /** Registered, but its folder is gone (deleted by hand). */
  missing: boolean;
}

export async function listWorktrees(repoRoot: string): Promise<WorktreeEntry[]> {
  const out = await git(repoRoot, ['worktree', 'list', '--porcelain']);
  const entries: WorktreeEntry[] = [];
  for (const block of out.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter(Boolean);
    const first = lines[0];
    if (!first?.startsWith('worktree ')) continue;
    let wtPath = canonicalPath(first.slice('worktree '.length));
    // A repository made with --separate-git-dir: git lists its git folder as the main worktree.
    if (entries.length === 0 && isGitFolder(wtPath)) wtPath = (await mainCheckoutAt(repoRoot)) ?? wtPath;
    const field = (name: string) => lines.find(l => l === name || l.startsWith(`${name} `));
    const branchLine = field('branch');
    const headLine = field('HEAD');
    const head = headLine ? headLine.slice('HEAD '.length).trim() : null;
    entries.push({
      path: wtPath,
      head: head && !/^0+$/.test(head) ? head : null,
      branch: branchLine ? branchLine.slice('branch '.length).replace(/^refs\/heads\//, '') : null,
      main: entries.length === 0,
      locked: field('locked') !== undefined,
      lockReason: field('locked')?.slice('locked '.length) || null,
      missing: entries.length > 0 && !existsSync(wtPath),
    });
  }
  return entries;
}

function isGitFolder(dir: string): boolean {
  return existsSync(path.join(dir, 'HEAD')) && existsSync(path.join(dir, 'objects')) && !existsSync(path.join(dir, '.git'));
}

/** The checkout at `dir` when it is the repository's main one (its git folder is the shared one). */
async function mainCheckoutAt(dir: string): Promise<string | undefined> {
  const [top, gitDir, commonDir] = (await git(dir, ['rev-parse', '--show-toplevel', '--git-dir', '--git-common-dir'])).split('\n').map(l => l.trim());
  if (!top || !gitDir || !commonDir) return undefined;
  return canonicalPath(path.resolve(dir, gitDir)) === canonicalPath(path.resolve(dir, commonDir)) ? canonicalPath(top) : undefined;
}

/** A linked worktree with its admin folder found through the repository, not through the worktree's own `.git` file. */
export interface WorktreeContext {
  worktree: string;
  /** `<common dir>/worktrees/<id>`: the worktree's HEAD, index and per-worktree refs. */
  gitDir: string;
  repo: Repo;
}

/**
 * Resolves a session worktree. Its `.git` file is agent-writable: pointed at a crafted git dir, it
 * could make our next `git status` run a configured fsmonitor or filter outside the sandbox. So git
 * runs with GIT_DIR set to the admin folder the repository registered for this path, never the
 * folder's own say-so. Pass the repository when known; without it, the `.git` file only tells where
 * to look, and the repository must still vouch for the worktree.
 */
export async function resolveWorktree(worktree: string, repo?: Repo): Promise<WorktreeContext> {
  const wt = canonicalPath(worktree);
  const owner = repo ?? (await openRepo(commonDirClaimedBy(wt)));
  const gitDir = adminDirOf(owner, wt);
  if (!gitDir) throw new WorktreeError('not-a-worktree', `${wt} is not a worktree of the repository at ${owner.identityRoot}`);
  if (isInside(owner.gitCommonDir, wt)) throw new WorktreeError('untrusted-worktree', `${wt} holds its own repository; refusing to run git there`);
  return { worktree: wt, gitDir, repo: owner };
}

/** Options that pin git to the registered admin folder of a worktree (or a submodule's checkout to its clone). */
export function inWorktree(ctx: Pick<WorktreeContext, 'gitDir' | 'worktree'>, extra: GitCallOptions = {}): GitCallOptions {
  return { ...extra, env: { ...extra.env, GIT_DIR: ctx.gitDir, GIT_WORK_TREE: ctx.worktree } };
}

/**
 * The admin folder whose back-link (`gitdir` file) names `<worktree>/.git`, or null. The folder the
 * worktree's own `.git` file names is tried first, by its name only and under the same check, so a
 * repository with a hundred worktrees costs one read, not a hundred; a file that names anything else
 * only sends the search through every admin folder.
 */
export function adminDirOf(repo: Repo, worktree: string): string | null {
  const adminRoot = path.join(repo.gitCommonDir, 'worktrees');
  const wanted = path.join(canonicalPath(worktree), '.git');
  const namesUs = (id: string): boolean => {
    try {
      const backLink = readFileSync(path.join(adminRoot, id, 'gitdir'), 'utf8').trim();
      return canonicalPath(path.resolve(adminRoot, id, backLink)) === wanted;
    } catch {
      // An admin folder without a readable back-link is git's to prune, not ours to match.
      return false;
    }
  };
  const claimed = claimedAdminId(worktree);
  if (claimed && namesUs(claimed)) return path.join(adminRoot, claimed);
  let ids: string[];
  try {
    ids = readdirSync(adminRoot);
  } catch {
    return null;
  }
  const id = ids.find(i => i !== claimed && namesUs(i));
  return id === undefined ? null : path.join(adminRoot, id);
}

/** The last part of the admin folder the worktree's `.git` file names, if it names one at all. */
function claimedAdminId(worktree: string): string | undefined {
  try {
    const id = path.basename(claimedGitDir(worktree));
    return id && id !== '.' && id !== '..' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** What `<worktree>/.git` says the worktree's git dir is (agent-writable: a hint, never an authority). */
function claimedGitDir(worktree: string): string {
  const dotGit = path.join(worktree, '.git');
  let text: string;
  try {
    if (!lstatSync(dotGit).isFile()) throw new Error('not a file');
    text = readFileSync(dotGit, 'utf8');
  } catch {
    throw new WorktreeError('not-a-worktree', `${worktree} is not a linked git worktree (no .git file)`);
  }
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (!match?.[1]) throw new WorktreeError('not-a-worktree', `${dotGit} does not name a git dir`);
  return path.resolve(worktree, match[1]);
}

function commonDirClaimedBy(worktree: string): string {
  const claimed = claimedGitDir(worktree);
  // `<common>/worktrees/<id>` → `<common>`; openRepo then asks git about that repository itself.
  const common = path.dirname(path.dirname(claimed));
  if (path.basename(path.dirname(claimed)) !== 'worktrees' || isInside(canonicalPath(common), worktree)) {
    throw new WorktreeError('untrusted-worktree', `${path.join(worktree, '.git')} points at ${claimed}, which is not a worktree admin folder of a repository outside it`);
  }
  return path.basename(common) === '.git' ? path.dirname(common) : common;
}
