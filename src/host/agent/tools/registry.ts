// The agent's tools, in the fixed order the model sees them.
import { applyPatchTool } from './applyPatch';
import { finishTool } from './finish';
import { listFilesTool } from './listFiles';
import { readFileTool } from './readFile';
import { runCommandTool } from './runCommand';
import { searchTool } from './search';
import type { AnyToolDef } from './types';
import { writeFileTool } from './writeFile';

// The order is part of the prompt prefix: changing it breaks every session's prompt cache.
export const TOOLS: readonly AnyToolDef[] = Object.freeze(
  [listFilesTool, readFileTool, searchTool, writeFileTool, applyPatchTool, runCommandTool, finishTool].map(t => {
    // Schemas are handed to SDKs and adapters by reference; frozen, nobody can change their bytes.
    deepFreeze(t.parameters);
    return Object.freeze(t) as AnyToolDef;
  }),
);

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  for (const v of Object.values(value)) deepFreeze(v);
  Object.freeze(value);
}

export type ToolName = 'list_files' | 'read_file' | 'search' | 'write_file' | 'apply_patch' | 'run_command' | 'finish';

export function findTool(name: string, tools: readonly AnyToolDef[] = TOOLS): AnyToolDef | undefined {
  return tools.find(t => t.name === name);
}
