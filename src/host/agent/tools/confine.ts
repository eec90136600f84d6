// Resolves the paths a model gives into the session's worktree, and refuses every way out of it.
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { submoduleHolding, submodulePaths } from '../../worktrees/submodulePaths';
import { isErrno, ToolError } from './errors';

export type ConfinementReason =
  | 'empty'
  | 'nul'
  | 'absolute'
  | 'windows'
  | 'backslash'
  | 'home'
  | 'escape'
  | 'git'
  | 'symlink'
  | 'root'
  | 'denied'
  | 'submodule';

export class ConfinementError extends ToolError {
  override readonly name: string = 'ConfinementError';
  constructor(
    readonly reason: ConfinementReason,
    readonly requestedPath: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConfineOptions {
  /** Writes also refuse the worktree root itself and symbolic links whose target does not exist. */
  forWrite: boolean;
  /** Worktree-relative paths refused as well, by name or through a link (ToolContext.denied). */
  denied?: readonly string[];
}

const USE_RELATIVE = 'use a path relative to the worktree root';

// Characters HFS+ ignores in names, so '.g\u200Cit' names the same folder as '.git' on macOS (as git's
// own is_hfs_dot_git check knows).
const HFS_IGNORABLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u206A-\u206F\uFEFF]/g;

/**
 * True for a path segment that names git metadata on some file system: case-insensitive volumes,
 * NTFS's trailing dots/spaces and 8.3 short name, HFS+'s ignorable code points.
 */
export function isGitMetadataName(segment: string): boolean {
  const s = segment.replace(HFS_IGNORABLE, '').replace(/[. ]+$/, '').toLowerCase();
  return s === '.git' || s === 'git~1';
}

/** Checks the text of the path and returns its normalised segments (no '.', '..' or empty ones). */
export function normaliseRelative(relPath: string): string[] {
  const refuse = (reason: ConfinementReason, message: string) => new ConfinementError(reason, relPath, message);
  if (relPath.length === 0) throw refuse('empty', `path is empty; use '.' for the worktree root`);
  if (relPath.includes('\0')) throw refuse('nul', `path ${JSON.stringify(relPath)} contains a NUL byte`);
  if (/^[A-Za-z]:/.test(relPath) || relPath.startsWith('\\') || relPath.startsWith('//')) {
    throw refuse('windows', `path '${relPath}' is a Windows drive or network path; ${USE_RELATIVE}, with '/' between folders`);
  }
  if (relPath.startsWith('/')) {
    throw refuse('absolute', `path '${relPath}' is absolute; ${USE_RELATIVE} (for example 'src/index.ts')`);
  }
  if (relPath === '~' || relPath.startsWith('~/')) {
    throw refuse('home', `path '${relPath}' starts with '~', which is not expanded; ${USE_RELATIVE}`);
  }
  if (relPath.includes('\\')) {
    throw refuse('backslash', `path '${relPath}' contains a backslash; separate folders with '/'`);
  }
  const segments: string[] = [];
  for (const seg of relPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (segments.length === 0) throw refuse('escape', `path '${relPath}' is outside the worktree; ${USE_RELATIVE}`);
      segments.pop();
      continue;
    }
    segments.push(seg);
  }
  if (segments.some(isGitMetadataName)) throw gitRefusal(relPath);
  return segments;
}

function gitRefusal(relPath: string): ConfinementError {
  return new ConfinementError(
    'git',
    relPath,
    `path '${relPath}' is inside git's metadata (.git), which tools may not read or change; use git commands through run_command instead`,
  );
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Returns the absolute path of `relPath` inside `worktree`, or throws ConfinementError.
 *
 * Every existing ancestor (and the path itself) is resolved with realpath and must stay inside the
 * worktree's real path, so a symbolic link anywhere on the way cannot lead out; for a new file the
 * nearest existing parent is the last one checked. The returned path contains no '.' or '..'.
 */
export async function resolveInWorktree(
  worktree: string,
  relPath: string,
  opts: ConfineOptions = { forWrite: false },
): Promise<string> {
  if (!path.isAbsolute(worktree)) throw new Error(`worktree must be an absolute path, got '${worktree}'`);
  const segments = normaliseRelative(relPath);
  if (segments.length === 0 && opts.forWrite) {
    throw new ConfinementError('root', relPath, `path '${relPath}' is the worktree root, not a file`);
  }
  const realRoot = await realpath(worktree);
  let current = worktree;
  for (let i = 0; i < segments.length; i++) {
    current = path.join(current, segments[i]!);
    try {
      await lstat(current);
    } catch (err) {
      // Nothing below a missing (or non-directory) ancestor exists, so nothing below can be a link.
      if (isErrno(err) && (err.code === 'ENOENT' || err.code === 'ENOTDIR')) break;
      throw err;
    }
    const shown = segments.slice(0, i + 1).join('/');
    let real: string;
    try {
      real = await realpath(current);
    } catch (err) {
      if (isErrno(err) && (err.code === 'ENOENT' || err.code === 'ELOOP')) {
        throw new ConfinementError(
          'symlink',
          relPath,
          `path '${relPath}' goes through the symbolic link '${shown}', whose target does not exist or loops; only paths inside the worktree can be used`,
        );
      }
      throw err;
    }
    if (!isInside(realRoot, real)) {
      throw new ConfinementError(
        'symlink',
        relPath,
        `path '${relPath}' leads outside the worktree through the symbolic link '${shown}'; only files inside the worktree can be used`,
      );
    }
    if (path.relative(realRoot, real).split(path.sep).some(isGitMetadataName)) throw gitRefusal(relPath);
  }
  const resolved = path.join(worktree, ...segments);
  await refuseDenied(worktree, resolved, relPath, opts.denied);
  if (opts.forWrite) {
    const submodule = submoduleHolding(segments.join('/'), await submodulePaths(worktree));
    if (submodule) {
      throw new ConfinementError('submodule', relPath, `path '${relPath}' is inside the submodule '${submodule}', a repository of its own: the session's branch holds only a pointer to it, so a change there would be left out of the work to merge. Change the files of this repository instead, or say in your summary what the submodule needs`);
    }
  }
  return resolved;
}

/** Where names that differ only in case name one file (macOS's and Windows's default volumes). */
export const NAMES_IGNORE_CASE = process.platform === 'darwin' || process.platform === 'win32';

/** `rel` (worktree-relative, '/' separators) is a denied path or inside one. */
function isDenied(rel: string, denied: readonly string[]): boolean {
  // A denial does not hang on the case where the case names no other file.
  const fold = (s: string) => (NAMES_IGNORE_CASE ? s.toLowerCase() : s);
  const r = fold(rel);
  return denied.some(d => r === fold(d) || r.startsWith(`${fold(d)}/`));
}

/**
 * Throws ConfinementError when `abs` (from resolveInWorktree) is denied by name, or is a link to a path
 * that is: the user's `sandbox.denyRead` entries inside the worktree hold for the tools as for commands.
 */
export async function refuseDenied(worktree: string, abs: string, relPath: string, denied: readonly string[] | undefined): Promise<void> {
  if (!denied?.length) return;
  const viaLink = toWorktreeRelative(await realpath(worktree), await realpathOfNew(abs));
  for (const rel of [toWorktreeRelative(worktree, abs), viaLink]) {
    if (isDenied(rel, denied)) {
      throw new ConfinementError('denied', relPath, `path '${relPath}' is in switchyard.sandbox.denyRead: neither the tools nor commands may read or change it`);
    }
  }
}

/** The real path of `abs`, or, for a file not made yet, its nearest existing folder's real path and the rest. */
async function realpathOfNew(abs: string): Promise<string> {
  const rest: string[] = [];
  for (let at = abs; ; at = path.dirname(at)) {
    try {
      return path.join(await realpath(at), ...rest);
    } catch (err) {
      if (!isErrno(err) || (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') || path.dirname(at) === at) throw err;
      rest.unshift(path.basename(at));
    }
  }
}

/** The worktree-relative form of an absolute path inside it, with '/' separators ('.' for the root). */
export function toWorktreeRelative(worktree: string, absPath: string): string {
  const rel = path.relative(worktree, absPath);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}
