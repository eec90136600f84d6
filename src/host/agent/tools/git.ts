// Runs read-only git commands for the tools (listing and searching), with a cap on what is kept.
import { launch } from '../../util/launcher';
import { withAbsoluteSearchPath } from '../../util/searchPath';
import { NAMES_IGNORE_CASE } from './confine';
import { childEnv } from './env';
import { ToolError } from './errors';

export interface GitRun {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
  /** stdout reached maxStdoutBytes and git was stopped early. */
  truncated: boolean;
}

export interface GitOptions {
  cwd: string;
  signal: AbortSignal;
  timeoutMs: number;
  maxStdoutBytes: number;
}

// Output is never paged or coloured. The agent's tools run no program the repository's configuration
// names: an fsmonitor would run at every listing.
const GLOBAL_ARGS = ['--no-pager', '-c', 'color.ui=false', '-c', 'core.quotepath=off', '-c', 'core.fsmonitor=false', '-c', 'diff.ignoreSubmodules=all', '-c', 'submodule.recurse=false'];

/**
 * The pathspecs for `rel` (literal: a path with '*' names that file) without the denied paths: left out by
 * git itself, so that neither what it prints nor whether it found anything tells of them.
 */
export function pathspecs(rel: string, denied: readonly string[] = []): string[] {
  const icase = NAMES_IGNORE_CASE ? ',icase' : '';
  return [`:(literal)${rel}`, ...denied.map(d => `:(exclude,literal${icase})${d}`)];
}

export function runGit(args: readonly string[], opts: GitOptions): Promise<GitRun> {
  return new Promise<GitRun>((resolve, reject) => {
    if (opts.signal.aborted) return reject(new ToolError('stopped before git started'));
    const child = launch('git', [...GLOBAL_ARGS, ...args], { cwd: opts.cwd, env: withAbsoluteSearchPath(childEnv()) });
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    const err: Buffer[] = [];
    let stopReason: 'aborted' | 'timeout' | undefined;

    const stop = (reason: 'aborted' | 'timeout') => {
      stopReason = reason;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop('aborted');
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = opts.maxStdoutBytes - outBytes;
      if (chunk.length > room) {
        out.push(chunk.subarray(0, room));
        outBytes += room;
        truncated = true;
        child.kill('SIGTERM');
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.reduce((n, b) => n + b.length, 0) < 16 * 1024) err.push(chunk);
    });
    let failed: NodeJS.ErrnoException | undefined;
    child.on('error', e => (failed ??= e));
    child.on('close', code => {
      cleanup();
      if (failed) return reject(failed.code === 'ENOENT' ? new ToolError('git is not installed or not on PATH') : failed);
      if (stopReason === 'aborted') return reject(new ToolError('stopped before git finished'));
      if (stopReason === 'timeout') return reject(new ToolError(`git took longer than ${Math.round(opts.timeoutMs / 1000)} s and was stopped; narrow the path`));
      resolve({ exitCode: code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8').trim(), truncated });
    });

    function cleanup() {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
    }
  });
}

/** Splits NUL-terminated output (`-z`), dropping a trailing partial record when output was cut. */
export function splitNul(buf: Buffer, truncated: boolean): string[] {
  const parts = buf.toString('utf8').split('\0');
  const last = parts.pop();
  if (!truncated && last !== undefined && last !== '') parts.push(last);
  return parts;
}
