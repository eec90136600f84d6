// The session's approval policy, applied by the tools themselves so no caller can skip it.
import { ToolError } from './errors';
import type { ToolContext } from './types';

/** Refuses a tool that changes the worktree when the session is read-only. */
export function refuseIfReadOnly(ctx: ToolContext, toolName: string): void {
  if (ctx.approval === 'read-only') {
    throw new ToolError(
      `${toolName} is not available: this session is read-only. You can list, read and search files; describe the change you would make instead.`,
    );
  }
}

/** Read-only refuses, 'ask' asks the user (a stop while waiting counts as a refusal), 'auto' allows. */
export async function requireCommandApproval(ctx: ToolContext, command: string): Promise<void> {
  refuseIfReadOnly(ctx, 'run_command');
  if (ctx.approval !== 'ask') return;
  const approved = await untilAborted(ctx.requestApproval(command), ctx.signal);
  if (ctx.signal.aborted) throw new ToolError('the session was stopped while waiting for approval; the command did not run');
  if (!approved) {
    throw new ToolError(
      `the user denied running this command: ${command}\nDo not run it again in another form; choose another approach or ask for guidance in your final summary.`,
    );
  }
}

function untilAborted(answer: Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    answer.then(
      v => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      err => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
