// The one place that spawns git (through simple-git), with the settings every Switchyard git call needs.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { devNull } from 'node:os';
import { GitError, simpleGit } from 'simple-git';
import { GitCommandError, WorktreeError } from './errors';

/** Environment set by us; any GIT_* variable inherited from our own environment is stripped from the child. */
export interface GitEnv {
  GIT_DIR?: string;
  GIT_WORK_TREE?: string;
  GIT_INDEX_FILE?: string;
  /** For the few calls whose messages are parsed. */
  LC_ALL?: string;
  /** Throwaway checkouts need git's content, not LFS downloads. */
  GIT_LFS_SKIP_SMUDGE?: '1';
}

export interface GitCallOptions {
  env?: GitEnv;
  /** Per-command `-c key=value` settings. */
  config?: readonly string[];
}

export interface GitOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
}

// Hooks never run: a worktree is agent-writable, and a hooks path relative to it (husky's `.husky/_`)
// would let an agent's files run outside its sandbox, in the host, on our next commit.
const BASE_CONFIG = [`core.hooksPath=${devNull}`];
const PASSED_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OPTIONAL_LOCKS', 'GIT_LFS_SKIP_SMUDGE'] as const;
const MAX_PROCESSES = 8;

/** Runs git in `cwd`; resolves with stdout, rejects with GitCommandError on a non-zero exit. */
export async function git(cwd: string, args: readonly string[], opts: GitCallOptions = {}): Promise<string> {
  const out = await gitOutput(cwd, args, opts);
  if (out.exitCode !== 0) throw new GitCommandError(args, out.exitCode, out.stdout, out.stderr);
  return out.stdout;
}

/** Runs git and returns its exit code instead of throwing, for commands whose exit code is the answer. */
export async function gitOutput(cwd: string, args: readonly string[], opts: GitCallOptions = {}): Promise<GitOutput> {
  if (!existsSync(cwd)) throw new WorktreeError('not-a-repo', `${cwd} does not exist`);
  await slots.acquire();
  try {
    const client = simpleGit({
      baseDir: cwd,
      trimmed: false,
      config: [...BASE_CONFIG, ...(opts.config ?? [])],
      allowEnvironment: PASSED_ENV,
      unsafe: { allowUnsafeHooksPath: true },
      // Every non-zero exit becomes an ExitStatus: simple-git would otherwise let some through as success.
      errors(error, result) {
        if (result.exitCode === 0) return error;
        return new ExitStatus(result.exitCode, Buffer.concat(result.stdOut).toString('utf8'), Buffer.concat(result.stdErr).toString('utf8'));
      },
    });
    client.env({ ...ambientEnv(), GIT_OPTIONAL_LOCKS: '0', ...opts.env });
    try {
      const stdout = await client.raw([...args]);
      return { exitCode: 0, stdout, stderr: '' };
    } catch (err) {
      const spawnFailed = err instanceof ExitStatus ? err.exitCode < 0 || /spawn \S+ ENOENT/.test(err.stderr) : /ENOENT/.test(String(err));
      if (err instanceof ExitStatus && !spawnFailed) return { exitCode: err.exitCode, stdout: err.stdout, stderr: err.stderr };
      if (spawnFailed) throw new WorktreeError('git-missing', 'git was not found on PATH; Switchyard needs git to run sessions', { cause: err });
      throw new WorktreeError('git-failed', `git ${args.join(' ')} could not run: ${String(err)}`, { cause: err });
    }
  } finally {
    slots.release();
  }
}

/**
 * The same call spawned directly, for the one command on a model request's path (`git add` into the
 * fingerprint index): simple-git waits 50 ms after every command that prints nothing, which would add
 * 50 ms to every request of every session. Same settings, same environment, same process cap.
 */
export async function gitDirect(cwd: string, args: readonly string[], opts: GitCallOptions = {}): Promise<GitOutput> {
  if (!existsSync(cwd)) throw new WorktreeError('not-a-repo', `${cwd} does not exist`);
  const argv = [...[...BASE_CONFIG, ...(opts.config ?? [])].flatMap(c => ['-c', c]), ...args];
  await slots.acquire();
  try {
    return await new Promise<GitOutput>((resolve, reject) => {
      execFile('git', argv, { cwd, env: { ...ambientEnv(), GIT_OPTIONAL_LOCKS: '0', ...opts.env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') reject(new WorktreeError('git-missing', 'git was not found on PATH; Switchyard needs git to run sessions', { cause: err }));
        else resolve({ exitCode: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
      });
    });
  } finally {
    slots.release();
  }
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

// simple-git turns whatever `errors` returns into the task's rejection; a GitError subclass passes through intact.
class ExitStatus extends GitError {
  constructor(
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(undefined, `exit ${exitCode}`);
  }
}

// simple-git refuses a task whose explicit env names one of these; git gets no editor or pager from us anyway.
const GUARDED_ENV = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass']);

function ambientEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (!lower.startsWith('git_') && !GUARDED_ENV.has(lower)) env[key] = value;
  }
  return env;
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
