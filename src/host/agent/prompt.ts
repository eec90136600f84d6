// The prompt, laid out for the provider's prompt cache (API-FACTS.md, "Prompt caching"):
//   1. instructions and tool schemas: identical for every session of a role, for the life of the session;
//   2. the first user message: the task (fixed once written);
//   3. everything after is appended, never rewritten. Changes of configuration (tier, a hint, a resume)
//      arrive as new messages, and nothing volatile (time, ids, environment) is placed ahead of them.
import type { Tier } from '../../protocol/types';
import type { ResponsesTool } from './chatAdapter';
import type { ConversationItem } from './conversation';
import type { Role } from './roles';
import { TOOLS, toolSchemasForResponses } from './tools';
import type { AnyToolDef } from './tools/types';

const BASE_INSTRUCTIONS = [
  'You are a coding agent run by Switchyard. You work alone in a git worktree: a private checkout of the',
  'repository on your own branch. Other agents work in other worktrees; the user reviews your branch when',
  'you finish and merges it if it is good.',
  '',
  '# How to work',
  '- Every path is relative to the worktree root. Paths outside it, and the .git folder, are refused.',
  '- Use the tools: list_files and search to find your way, read_file before you edit, write_file or',
  '  apply_patch to change files, run_command to build and test. Several tool calls may go in one turn.',
  '- Commands run in a sandbox that can write only inside the worktree and a temp folder; the network is off',
  '  unless the user allowed it. If a command is refused or fails for a reason you cannot fix, say so.',
  '- Do not repeat a command that failed without changing something first. If you are stuck, call finish',
  '  and explain what blocks you: a clear stop is worth more than a loop.',
  '- When the task is done, call finish with a short summary of what changed and how you checked it.',
  '  Do not commit: Switchyard commits your work on your branch when you finish.',
].join('\n');

export function buildInstructions(role: Role): string {
  return `${BASE_INSTRUCTIONS}\n\n# Your role: ${role.name}\n${role.instructions}`;
}

/** The role's tools, in the one fixed order. */
export function toolDefsFor(role: Role): AnyToolDef[] {
  const allowed = role.tools ? new Set(role.tools) : undefined;
  return TOOLS.filter(t => !allowed || allowed.has(t.name));
}

/** Tool schemas in one fixed order, filtered by the role; the same bytes every turn. */
export function toolsFor(role: Role): ResponsesTool[] {
  return toolSchemasForResponses({ tools: toolDefsFor(role) });
}

/**
 * The first message: the task, and where the agent is: its branch; the folder the user works in, if below the
 * root; the submodules not checked out in its worktree, whose empty folders it would otherwise look into.
 */
export function taskMessage(task: string, branch: string, baseBranch: string, where: { folder?: string; emptySubmodules?: readonly string[] } = {}): ConversationItem {
  const folder = where.folder ? ` ${folderNote(where.folder)}` : '';
  const subs = where.emptySubmodules?.length ? ` The submodules ${where.emptySubmodules.join(', ')} are not checked out here: their folders are empty, and their files cannot be read or changed.` : '';
  return {
    type: 'message',
    role: 'user',
    content: `# Task\n${task.trim()}\n\n(You are on branch ${branch}, started from ${baseBranch}.${folder}${subs})`,
  };
}

/** Where the user works, when below the repository's root: what "here" in their task means. */
export function folderNote(folder: string): string {
  return `The user works in ${folder}/ of this repository: "here" in the task means that folder. Paths are relative to the repository root.`;
}

export function tierChangeMessage(from: Tier, to: Tier, why: string): ConversationItem {
  return { type: 'message', role: 'developer', content: `Note from Switchyard: this session now runs on the ${to} tier (was ${from}): ${why}.` };
}

export function hintMessage(hint: string): ConversationItem {
  return { type: 'message', role: 'user', content: `Hint from the user, who reviewed your progress:\n${hint.trim()}` };
}

export function interruptedOutput(name: string): string {
  return `[${name} was interrupted: the session was paused or Switchyard restarted while it ran. Its effects, if any, are in the worktree; check before running it again.]`;
}

export function continueMessage(): ConversationItem {
  return { type: 'message', role: 'user', content: 'Continue with the task.' };
}
