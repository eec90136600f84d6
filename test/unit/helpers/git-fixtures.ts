// Real, throwaway git repositories for the worktree tests. Git is driven directly here (not through
// the code under test) so assertions do not trust what they check.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { canonicalPath } from '../../../src/host/worktrees/paths';

export interface Sandbox {
  /** Everything lives under here; removed by dispose(). */
  dir: string;
  /** The user's checkout. */
  repo: string;
  /** Stand-in for the Switchyard home. */
  home: string;
  worktreesDir: string;
  locksDir: string;
  dispose(): void;
}

export interface SandboxOptions {
  /** Leave user.name/user.email unset in the repository. */
  noIdentity?: boolean;
}

const TEST_IDENTITY = ['-c', 'user.name=Test User', '-c', 'user.email=test@example.com'];

/** A repository on `main` with one commit (README.md, src/app.txt), plus a home folder beside it. */
export function makeSandbox(opts: SandboxOptions = {}): Sandbox {
  const dir = canonicalPath(mkdtempSync(path.join(tmpdir(), 'sy-worktrees-')));
  const repo = path.join(dir, 'repo');
  const home = path.join(dir, 'home');
  mkdirSync(repo, { recursive: true });
  sh(repo, 'init', '-q', '-b', 'main');
  if (!opts.noIdentity) {
    sh(repo, 'config', 'user.name', 'Test User');
    sh(repo, 'config', 'user.email', 'test@example.com');
  }
  // A developer's global signing or hooks settings must not change what these tests see.
  sh(repo, 'config', 'commit.gpgsign', 'false');
  write(repo, 'README.md', '# demo\n');
  write(repo, 'src/app.txt', 'line 1\nline 2\nline 3\n');
  write(repo, '.gitignore', 'build/\n');
  commitAllIn(repo, 'initial');
  return {
    dir,
    repo,
    home,
    worktreesDir: path.join(home, 'repos', 'demo', 'worktrees'),
    locksDir: path.join(home, 'locks'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs git with no GIT_* variables from the environment; returns trimmed stdout. */
export function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Like sh() but returns the exit status instead of throwing. */
export function shStatus(cwd: string, ...args: string[]): number {
  try {
    execFileSync('git', args, { cwd, env: cleanEnv(), stdio: 'ignore' });
    return 0;
  } catch (err) {
    return (err as { status?: number }).status ?? 1;
  }
}

export function commitAllIn(cwd: string, message: string): string {
  sh(cwd, 'add', '-A');
  sh(cwd, ...TEST_IDENTITY, 'commit', '-q', '--no-verify', '-m', message);
  return sh(cwd, 'rev-parse', 'HEAD');
}

export function write(dir: string, rel: string, content: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

/** `git status --porcelain` plus HEAD: equal before and after means the checkout was not touched. */
export function checkoutState(cwd: string): string {
  return `${sh(cwd, 'rev-parse', 'HEAD')}\n${sh(cwd, 'status', '--porcelain=v1', '--untracked-files=all')}`;
}

export function branchExists(repo: string, branch: string): boolean {
  return shStatus(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`) === 0;
}

export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return env;
}
