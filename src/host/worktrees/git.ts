// The one place that runs git for worktrees, with the settings every Switchyard git call needs. Each call
// is one git process started through the launcher (src/host/util/launcher.ts: from a thread of its own
// when the fleet is big), and at most MAX_PROCESSES run at once.
import { existsSync } from 'node:fs';
import { devNull } from 'node:os';
import { launch } from '../util/launcher';
import { GitCommandError, WorktreeError } from './errors';
import { withAbsoluteSearchPath } from '../util/searchPath';

/** Environment set by us; any GIT_* variable inherited from our own environment is stripped from the child. */
export interface GitEnv {
  GIT_DIR?: string;
  GIT_WORK_TREE?: string;
  GIT_INDEX_FILE?: string;
  /** For the few calls whose messages are parsed. */
  LC_ALL?: string;
  /** Throwaway checkouts need git's content, not LFS downloads. */
  GIT_LFS_SKIP_SMUDGE?: '1';
  /** A filter driver run as `python -m` imports nothing from the worktree it runs in (commit.ts). */
  PYTHONSAFEPATH?: '1';
}

export interface GitCallOptions {
  env?: GitEnv;
  /** Per-command `-c key=value` settings. */
  config?: readonly string[];
  /** Told the git process's pid once it runs. */
  onSpawn?: (pid: number) => void;
}

export interface GitOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// Hooks never run: a worktree is agent-writable, and a hooks path relative to it (husky's `.husky/_`)
// would let an agent's files run outside its sandbox, in the host, on our next commit. Nor does an
// fsmonitor program, and git never looks into a submodule's folder to see whether it changed: it would run
// a git there that reads that folder's own config, which a command may have written (a filter's clean
// program). Given on the command line, these hold in every git that git starts too (nestedRepos.ts).
// Nor does a checkout, reset or merge go into submodules (a user's submodule.recurse would make it).
const BASE_CONFIG = [`core.hooksPath=${devNull}`, 'core.fsmonitor=false', 'diff.ignoreSubmodules=all', 'submodule.recurse=false'];
const MAX_PROCESSES = 8;

/**
 * In a terminal, Ctrl-C (and a closing terminal's hang-up) reaches the CLI's whole process group: a git killed
 * part-way leaves a branch without its worktree, or a commit half-staged. The CLI pauses on the signal, so
 * git is to finish first, in a session of its own (git sets its own handlers for both signals, so ignoring
 * them would not hold). It then has no terminal: a prompt of its (a signing key's passphrase) fails, saying
 * so, rather than waiting. Only the CLI asks for this; VS Code sends no such signal, and its agent host's
 * lowered CPU priority holds for git only in the host's own session (Linux autogroups).
 */
let ownSession = false;

export function detachGitFromTerminal(): void {
  ownSession = process.platform !== 'win32';
}

/** Runs git in `cwd`; resolves with stdout, rejects with GitCommandError on a non-zero exit. */
export async function git(cwd: string, args: readonly string[], opts: GitCallOptions = {}): Promise<string> {
  const out = await gitOutput(cwd, args, opts);
  if (out.exitCode !== 0) throw new GitCommandError(args, out.exitCode, out.stdout, out.stderr);
  return out.stdout;
}

/** Runs git and returns its exit code instead of throwing, for commands whose exit code is the answer. */
export async function gitOutput(cwd: string, args: readonly string[], opts: GitCallOptions = {}): Promise<GitOutput> {
  if (!existsSync(cwd)) throw new WorktreeError('not-a-repo', `${cwd} does not exist`);
  const argv = [...[...BASE_CONFIG, ...(opts.config ?? [])].flatMap(c => ['-c', c]), ...args];
  await slots.acquire();
  try {
    return await runToEnd(cwd, argv, { ...ambientEnv(), GIT_OPTIONAL_LOCKS: '0', ...opts.env }, opts.onSpawn);
  } finally {
    slots.release();
  }
}

function runToEnd(cwd: string, argv: readonly string[], env: NodeJS.ProcessEnv, onSpawn?: (pid: number) => void): Promise<GitOutput> {
  return new Promise<GitOutput>((resolve, reject) => {
    const child = launch('git', argv, { cwd, env, detached: ownSession });
    if (onSpawn) {
      // Told at once where the pid is known at once (a fork here): a kill that lands in between leaves less unsaid.
      if (child.pid !== undefined) onSpawn(child.pid);
      else {
        child.on('spawn', () => {
          if (child.pid !== undefined) onSpawn(child.pid);
        });
      }
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let failed: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', e => (failed ??= e));
    child.on('close', (code, signal) => {
      // cwd was checked: ENOENT means git itself was not found.
      if (failed?.code === 'ENOENT') {
        reject(new WorktreeError('git-missing', 'git was not found on PATH; Switchyard needs git to run sessions', { cause: failed }));
      } else if (failed || code === null) {
        reject(new WorktreeError('git-failed', `git ${argv.join(' ')} could not run: ${failed?.message ?? `stopped by ${signal}`}`, { cause: failed }));
      } else {
        resolve({ exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      }
    });
  });
}

/** Trimmed single-line output (a sha, a ref, a path). */
export async function gitLine(cwd: string, args: readonly string[], opts?: GitCallOptions): Promise<string> {
  return (await git(cwd, args, opts)).trim();
}

/** Splits `-z` output into its fields. */
export function splitNul(output: string): string[] {
  const parts = output.split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

// git gets no editor, pager or askpass from us: a git that wanted one would wait for nobody.
const GUARDED_ENV = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass']);

function ambientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (!lower.startsWith('git_') && !GUARDED_ENV.has(lower)) env[key] = value;
  }
  return withAbsoluteSearchPath(env);
}

class Semaphore {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise(resolve => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

// Caps git children per host process: 100 sessions fingerprinting at once must not fork 100 gits.
const slots = new Semaphore(MAX_PROCESSES);
