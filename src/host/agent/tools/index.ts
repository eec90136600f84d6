// The agent's tools: what the turn loop and the prompt builder use.
export { ConfinementError, resolveInWorktree, toWorktreeRelative } from './confine';
export { ToolError } from './errors';
export { createLocalRunner, localRunner } from './localRunner';
export { findTool, TOOLS, type ToolName } from './registry';
export { runToolCall } from './runToolCall';
export { toolSchemasForChat, toolSchemasForResponses } from './schemas';
export * from './types';
