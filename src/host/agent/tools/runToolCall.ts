// Runs one tool call from the model: finds the tool, checks its arguments, runs it, and turns every
// expected failure into a result the model can read instead of an exception.
import { ToolError } from './errors';
import { TOOLS } from './registry';
import type { AnyToolDef, ToolContext, ToolResult } from './types';

export async function runToolCall(
  name: string,
  argumentsJson: string,
  ctx: ToolContext,
  tools: readonly AnyToolDef[] = TOOLS,
): Promise<ToolResult> {
  const tool = tools.find(t => t.name === name);
  if (!tool) return failure(`there is no tool named '${name}'; the tools are ${tools.map(t => t.name).join(', ')}`);
  let raw: unknown;
  try {
    // Some models send an empty string for a call without arguments.
    raw = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson);
  } catch (err) {
    return failure(`the arguments of ${name} are not valid JSON (${(err as Error).message}); send one JSON object`);
  }
  const parsed = tool.parse(raw);
  if (!parsed.ok) return failure(`${name}: ${parsed.error}`);
  try {
    return await tool.run(parsed.value, ctx);
  } catch (err) {
    if (err instanceof ToolError) return failure(err.message);
    if (ctx.signal.aborted) return failure(`${name} was stopped: the session was stopped`);
    return failure(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function failure(message: string): ToolResult {
  return { ok: false, output: `error: ${message}` };
}
