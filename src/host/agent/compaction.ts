// Long sessions: when the prompt nears the model's context window, older turns are summarised in one
// step. That rewrites the prefix, so it is recorded as a planned cache reset, never done silently.
import { contextWindow } from '../pricing/contextWindows';
import type { ConversationItem } from './conversation';

/** Items kept verbatim after the summary: the latest work the agent is in the middle of. */
const KEEP_RECENT = 6;

/** Compact at this many (estimated) input tokens: the setting when given, else 80% of the window. */
export function compactionThreshold(model: string, setting: number): number {
  return setting > 0 ? setting : Math.floor(contextWindow(model) * 0.8);
}

/** About four bytes a token, from the instructions and the conversation's JSON size. */
export function estimatedTokens(instructions: string, itemBytes: number): number {
  return Math.ceil((Buffer.byteLength(instructions) + itemBytes) / 4);
}

export const SUMMARY_REQUEST: ConversationItem = {
  type: 'message',
  role: 'user',
  content:
    'Switchyard will now compact this conversation to stay within the context window. Write a summary for ' +
    'yourself to continue from: what the task is, what you changed (files and why), what you ran and what ' +
    'it showed, what is left to do, and anything you must not forget. Do not call tools.',
};

/**
 * The compacted conversation: the task, the summary, and the most recent items (never cutting a call
 * from its output).
 */
export function compacted(items: readonly ConversationItem[], summary: string): ConversationItem[] {
  const task = items[0];
  let start = Math.max(1, items.length - KEEP_RECENT);
  while (start < items.length && items[start].type === 'function_call_output') start++;
  return [
    task,
    { type: 'message', role: 'user', content: `Summary of the earlier part of this session (compacted by Switchyard):\n${summary.trim()}` },
    ...items.slice(start),
  ];
}
