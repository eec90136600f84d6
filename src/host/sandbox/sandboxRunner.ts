// The sandboxed CommandRunner: every command runs inside the OS sandbox with the session's policy, in a
// process group of its own exactly like the local runner (same timeout, stop, output cap and exit code).
// Killing the group reaches bubblewrap, and bubblewrap takes the whole sandbox with it
// (--die-with-parent and a PID namespace), so on Linux nothing a command started can outlive it. macOS's
// sandbox-exec has neither: a process the command detaches (setsid) outlives it (docs/DESIGN.md, Sandbox).
import { childEnv } from '../agent/tools/env';
import { ToolError } from '../agent/tools/errors';
import { DEFAULT_KILL_GRACE_MS, NOT_STARTED, runShellInProcessGroup } from '../agent/tools/localRunner';
import type { CommandResult, CommandRunner, CommandRunOptions } from '../agent/tools/types';
import { SandboxError } from './errors';
import type { SandboxPolicy } from './policy';
import { type SandboxRuntime, sandboxRuntime, type WrappedCommand } from './runtime';
import { shQuote } from './shell';
import { makeDir } from '../util/makeDir';

export interface SandboxRunnerOptions {
  policy: SandboxPolicy;
  runtime?: SandboxRuntime;
  /** Time between SIGTERM and SIGKILL to the process group. */
  killGraceMs?: number;
  /** Environment the command starts from (before the secrets are removed); process.env by default. */
  baseEnv?: NodeJS.ProcessEnv;
}

export function createSandboxRunner(o: SandboxRunnerOptions): CommandRunner {
  const runtime = o.runtime ?? sandboxRuntime();
  const grace = o.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  return (command, opts) => runSandboxed(command, opts, o.policy, runtime, grace, o.baseEnv ?? process.env);
}

async function runSandboxed(
  command: string,
  opts: CommandRunOptions,
  policy: SandboxPolicy,
  runtime: SandboxRuntime,
  grace: number,
  baseEnv: NodeJS.ProcessEnv,
): Promise<CommandResult> {
  if (opts.signal.aborted) return { ...NOT_STARTED };
  // A folder that does not exist cannot be bound writable into the sandbox.
  await makeDir(policy.tempDir);
  let wrapped: WrappedCommand;
  try {
    // The library sets TMPDIR to a folder of its own; the session's temp folder is the writable one.
    wrapped = await runtime.wrap({ script: `export TMPDIR=${shQuote(policy.tempDir)}\n${command}`, policy, signal: opts.signal });
  } catch (err) {
    if (opts.signal.aborted) return { ...NOT_STARTED };
    if (err instanceof SandboxError) throw new ToolError(err.message);
    throw err;
  }
  try {
    if (opts.signal.aborted) return { ...NOT_STARTED };
    const env = childEnv(baseEnv, { ...opts.env, TMPDIR: policy.tempDir });
    // stderr joins stdout for the sandbox and the command alike: one pipe keeps the order of both.
    return await runShellInProcessGroup(`exec 2>&1\n${wrapped.command}`, opts, { killGraceMs: grace, env });
  } finally {
    wrapped.release();
  }
}
