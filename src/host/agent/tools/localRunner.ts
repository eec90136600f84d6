// The unconfined CommandRunner: runs a command with /bin/sh in the worktree, in a process group of its
// own, so a timeout or a stop ends the command and everything it started. The process-group handling is
// shared with the sandboxed runner (src/host/sandbox), which runs its wrapped command the same way.
import { groupEnded, launchShellGroup } from '../../util/lifeline';
import { childEnv } from './env';
import { ToolError } from './errors';
import { OutputCapper } from './outputCap';
import type { CommandResult, CommandRunner, CommandRunOptions } from './types';

export interface LocalRunnerOptions {
  /** Time between SIGTERM and SIGKILL to the process group. */
  killGraceMs?: number;
  /** Environment the command starts from (before the secrets are removed); process.env by default. */
  baseEnv?: NodeJS.ProcessEnv;
}

export const DEFAULT_KILL_GRACE_MS = 2000;

export function createLocalRunner(options: LocalRunnerOptions = {}): CommandRunner {
  const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  return (command, opts) => runLocal(command, opts, grace, options.baseEnv ?? process.env);
}

export const localRunner: CommandRunner = createLocalRunner();

/** The result of a command that was stopped before it started. */
export const NOT_STARTED: Readonly<CommandResult> = Object.freeze({ exitCode: null, output: '', truncated: false, timedOut: false });

function runLocal(command: string, opts: CommandRunOptions, grace: number, baseEnv: NodeJS.ProcessEnv): Promise<CommandResult> {
  if (process.platform === 'win32') {
    return Promise.reject(new ToolError('running commands needs a POSIX shell (/bin/sh); Windows is not supported yet'));
  }
  if (opts.signal.aborted) return Promise.resolve({ ...NOT_STARTED });
  // stderr joins stdout inside the shell: one pipe keeps the order in which the two were written.
  return runShellInProcessGroup(`exec 2>&1\n${command}`, opts, { killGraceMs: grace, env: childEnv(baseEnv, opts.env) });
}

export interface ProcessGroupOptions {
  /** Time between SIGTERM and SIGKILL to the process group. */
  killGraceMs: number;
  /** The complete environment of the shell (already cleaned by childEnv). */
  env: Record<string, string>;
}

/**
 * Runs `/bin/sh -c script` in a process group of its own, honouring the timeout, the abort signal and
 * the output cap of `opts`; a timeout or an abort ends the whole group. Shared by every CommandRunner.
 */
export function runShellInProcessGroup(script: string, opts: CommandRunOptions, o: ProcessGroupOptions): Promise<CommandResult> {
  const grace = o.killGraceMs;
  return new Promise<CommandResult>((resolve, reject) => {
    const output = new OutputCapper(opts.outputCapBytes);
    // A new process group (pgid = pid) that one killGroup reaches entirely, and that ends with the host. No
    // stdin: a command that waits for input reads end-of-file instead of hanging.
    const child = launchShellGroup(script, { cwd: opts.cwd, env: o.env, killGraceMs: grace });
    let stoppedBy: 'timeout' | 'abort' | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;

    const killGroup = (sig: NodeJS.Signals) => child.killGroup(sig);
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = () => {
      killGroup('SIGTERM');
      // Unref'd: it must not keep the host alive. Cleared once the group is known to be gone.
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), grace);
      killTimer.unref();
    };
    const stop = (reason: 'timeout' | 'abort') => {
      if (stoppedBy !== undefined || exit !== undefined) return;
      stoppedBy = reason;
      terminate();
    };
    const onAbort = () => stop('abort');
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const timeoutTimer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const cleanup = () => {
      settled = true;
      opts.signal.removeEventListener('abort', onAbort);
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
    };

    child.on('spawn', () => {
      if (child.pid !== undefined) opts.onStarted?.(child.pid);
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));

    const finish = () => {
      if (settled) return;
      cleanup();
      const capped = output.result();
      const result: CommandResult = {
        exitCode: exit?.code ?? null,
        output: capped.text,
        truncated: capped.truncated,
        timedOut: stoppedBy === 'timeout',
      };
      if (exit?.signal) result.signal = exit.signal;
      resolve(result);
    };

    child.on('error', err => {
      if (settled) return;
      cleanup();
      reject(new ToolError(`the command could not be started: ${err.message}`));
    });
    // (An error is followed by close, which then finds the promise settled.)
    // The result waits for the whole group, not only its shell: a next command, a resume or a discard must
    // not find a process of this one still at work (it has had its SIGTERM; the SIGKILL comes after the grace period).
    let ending = false;
    const finishOnceGroupEnded = () => {
      if (settled || ending) return;
      ending = true;
      void (child.pid === undefined ? Promise.resolve(true) : groupEnded(child.pid, grace + 500)).then(ended => {
        // Nothing of it is left: a SIGKILL later could only reach a group that has taken its number since.
        if (ended) clearTimeout(killTimer);
        finish();
      });
    };
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The shell is done; whatever it left running in the background goes with it.
      terminate();
      // A process that left the group (setsid) may still hold the pipes open; do not wait for it forever.
      drainTimer = setTimeout(() => {
        child.stopReading();
        finishOnceGroupEnded();
      }, grace + 500);
    });
    child.on('close', finishOnceGroupEnded);
  });
}
