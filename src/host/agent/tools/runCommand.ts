// run_command: runs a shell command in the worktree, subject to the session's approval policy.
import { requireCommandApproval } from './approval';
import { argObject, parseWith, requiredString } from './args';
import { ToolError } from './errors';
import type { CommandResult, ToolContext, ToolDef, ToolResult } from './types';

export interface RunCommandArgs {
  command: string;
}

export const runCommandTool: ToolDef<RunCommandArgs> = {
  name: 'run_command',
  sideEffects: true,
  description:
    'Run a shell command (/bin/sh -c) with the worktree root as the working directory, for example to build or run tests. It has no input, a time limit, and long output is cut in the middle. Background processes it starts are stopped when it ends.',
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'string', description: 'The command line to run.' },
    },
    required: ['command'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['command']);
      return { command: requiredString(f, 'command', { nonEmpty: true }) };
    }),
  run: runCommand,
};

async function runCommand(args: RunCommandArgs, ctx: ToolContext): Promise<ToolResult> {
  await requireCommandApproval(ctx, args.command);
  if (ctx.signal.aborted) throw new ToolError('the session was stopped before the command ran');
  const result = await ctx.runCommand(args.command, {
    cwd: ctx.worktree,
    timeoutMs: ctx.limits.commandTimeoutMs,
    signal: ctx.signal,
    outputCapBytes: ctx.limits.outputCapBytes,
    env: { TMPDIR: ctx.tempDir },
  });
  const ok = result.exitCode === 0 && !result.timedOut;
  const body = result.output === '' ? '(no output)' : result.output.replace(/\n$/, '');
  return { ok, output: `${body}\n${status(result, ctx)}` };
}

function status(r: CommandResult, ctx: ToolContext): string {
  if (r.timedOut) {
    return `[timed out after ${Number((ctx.limits.commandTimeoutMs / 1000).toFixed(1))} s; the command and everything it started were stopped]`;
  }
  if (ctx.signal.aborted) return '[stopped: the session was stopped]';
  if (r.exitCode !== null) return `[exit code ${r.exitCode}]`;
  return `[ended by signal ${r.signal ?? 'unknown'}]`;
}
