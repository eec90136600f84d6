// What one session's sandboxed commands may touch: write only the worktree and the session's temp folder,
// read everything except the deny list (the user's credential folders and the Switchyard home, where
// other sessions' worktrees, transcripts and the ledger live). Pure, apart from the existence checks
// the write denials need at wrap time.
import { existsSync, lstatSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** A path the library takes as written (never as a glob pattern). */
export interface LiteralPath {
  path: string;
  literal: true;
}
export type PathEntry = string | LiteralPath;

export interface SandboxPolicy {
  worktree: string;
  /** The session's temp folder; commands get it as TMPDIR. */
  tempDir: string;
  /** Read denials: literal paths, and the user's own entries (which may be glob patterns). */
  denyRead: PathEntry[];
}

export interface PolicyInput {
  worktree: string;
  tempDir: string;
  /** The Switchyard home in use (SWITCHYARD_HOME may put it anywhere): always denied. */
  switchyardHome: string;
  /** The `sandbox.denyRead` setting; `~` means the user's home folder. */
  denyRead: readonly string[];
  /** The user's home folder; os.homedir() (which follows $HOME) by default. */
  homeDir?: string;
  /**
   * The repository's checkouts the user works in (its main one, their own linked worktrees): a relative
   * entry (`.env`) is denied there too. A worktree is a fresh checkout, so an ignored `.env` is only ever
   * in those, at paths a command can name (userCheckouts.ts).
   */
  checkouts?: readonly string[];
}

export function sessionPolicy(input: PolicyInput): SandboxPolicy {
  const home = input.homeDir ?? homedir();
  const worktree = path.resolve(input.worktree);
  const denyRead: PathEntry[] = [];
  const seen = new Set<string>();
  const add = (entry: PathEntry) => {
    const key = typeof entry === 'string' ? `g:${entry}` : `l:${entry.path}`;
    if (!seen.has(key)) {
      seen.add(key);
      denyRead.push(entry);
    }
  };
  for (const raw of input.denyRead) {
    const entry = raw.trim();
    if (!entry) continue;
    // A relative entry is about the project (e.g. `.env`), so it is read against the worktree, and the
    // user's checkouts' copies too.
    const expanded = expandHome(entry, home);
    const roots = path.isAbsolute(expanded) ? [worktree] : [worktree, ...(input.checkouts ?? []).map(c => path.resolve(c))];
    for (const root of roots) {
      const abs = path.resolve(root, expanded);
      add(hasGlob(abs) ? abs : { path: abs, literal: true });
    }
  }
  add({ path: path.resolve(input.switchyardHome), literal: true });
  return { worktree, tempDir: path.resolve(input.tempDir), denyRead };
}

/**
 * The `sandbox.denyRead` entries that name something inside the worktree (`.env`, `secrets/`), as
 * worktree-relative paths with '/' separators: the agent's file tools keep to them as commands do. Glob
 * entries are left to the sandbox.
 */
export function deniedInWorktree(worktree: string, denyRead: readonly string[], home: string = homedir()): string[] {
  const root = path.resolve(worktree);
  const out = new Set<string>();
  for (const raw of denyRead) {
    const entry = raw.trim();
    if (!entry || hasGlob(entry)) continue;
    const rel = path.relative(root, path.resolve(root, expandHome(entry, home)));
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) continue;
    out.add(rel.split(path.sep).join('/'));
  }
  return [...out];
}

export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

function hasGlob(p: string): boolean {
  return /[*?[\]]/.test(p);
}

const literal = (p: string): LiteralPath => ({ path: p, literal: true });

/** The paths a command may write, which are also re-opened for reading under a denied folder. */
export function writeRoots(p: SandboxPolicy): LiteralPath[] {
  return [literal(p.worktree), literal(p.tempDir)];
}

/**
 * Write denials inside what the library would otherwise leave writable, decided at wrap time because
 * they depend on what exists (a denial of a missing path makes the library create a placeholder file).
 */
export function writeDenials(p: SandboxPolicy, home: string = homedir()): LiteralPath[] {
  const out: string[] = [];
  // The worktree's `.git` names the repository git works on; a command that rewrote it could point the
  // host's own (unconfined) git at a repository whose config runs programs. The library protects only
  // the host process's working folder this way, not ours.
  const dotGit = path.join(p.worktree, '.git');
  const kind = statKind(dotGit);
  if (kind === 'file') out.push(dotGit);
  if (kind === 'dir') out.push(path.join(dotGit, 'hooks'), path.join(dotGit, 'config'));
  // The library keeps these writable for its own tools; for us they would be a channel between
  // sessions and writes outside the worktree.
  for (const shared of ['/tmp/claude', '/private/tmp/claude', path.join(home, '.npm', '_logs'), path.join(home, '.claude', 'debug')]) {
    if (existsSync(shared)) out.push(shared);
  }
  return out.map(literal);
}

function statKind(p: string): 'file' | 'dir' | undefined {
  try {
    const st = lstatSync(p);
    if (st.isDirectory()) return 'dir';
    return 'file';
  } catch {
    return undefined;
  }
}
