// Session branch names: `switchyard/<slug>`, with `-2`, `-3`… when the name (or its folder) is taken.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorktreeError } from './errors';
import { listBranches } from './repo';

export const BRANCH_PREFIX = 'switchyard/';
const MAX_SLUG = 40;
const MAX_SUFFIX = 10_000;

/** A short lowercase ascii slug of a title: "Fix the Login bug!" → "fix-the-login-bug". */
export function slugify(title: string, maxLength: number = MAX_SLUG): string {
  const ascii = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const words = ascii.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  let slug = '';
  for (const word of words) {
    const next = slug ? `${slug}-${word}` : word;
    if (next.length > maxLength) {
      if (!slug) slug = word.slice(0, maxLength);
      break;
    }
    slug = next;
  }
  return slug || 'session';
}

/** Folder name of a session branch's worktree: the slug, without the `switchyard/` prefix. */
export function worktreeDirName(branch: string): string {
  const name = branch.startsWith(BRANCH_PREFIX) ? branch.slice(BRANCH_PREFIX.length) : branch;
  return name.replace(/[\\/]+/g, '-');
}

export interface UniqueBranchOptions {
  /** Also skip names whose worktree folder already exists here. */
  worktreesDir?: string;
  /** The local branches, when the caller has just listed them. */
  branches?: readonly string[];
  /**
   * Names a session's record holds though git no longer has them (deleted by hand): given to a new session,
   * the old one's discard, merge or resume would act on the new one's work.
   */
  reserved?: readonly string[];
}

/**
 * The first free name of `switchyard/<slug>`, `-2`, `-3`…. Free means no branch of that name,
 * none below it (`name/…`) and no worktree folder for it. Only stable while the repo lock is held.
 */
export async function uniqueBranch(repoRoot: string, slug: string, opts: UniqueBranchOptions = {}): Promise<string> {
  const base = `${BRANCH_PREFIX}${slugify(slug)}`;
  const branches = opts.branches ?? (await listBranches(repoRoot));
  const blocker = branches.find(b => base.startsWith(`${b}/`));
  if (blocker) {
    throw new WorktreeError('branch-exists', `a branch named "${blocker}" exists, so no branch can be created under "${blocker}/"; rename it to start sessions`);
  }
  const taken = new Set([...branches, ...(opts.reserved ?? [])]);
  const isFree = (name: string) =>
    !taken.has(name) &&
    !branches.some(b => b.startsWith(`${name}/`)) &&
    !(opts.worktreesDir && existsSync(path.join(opts.worktreesDir, worktreeDirName(name))));
  if (isFree(base)) return base;
  for (let n = 2; n < MAX_SUFFIX; n++) {
    const name = `${base}-${n}`;
    if (isFree(name)) return name;
  }
  throw new WorktreeError('branch-exists', `every name from ${base} to ${base}-${MAX_SUFFIX - 1} is taken`);
}
