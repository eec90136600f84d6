// What the guard says: the nudge injected into the conversation, and the reason shown on each step.
import type { Tier } from '../../protocol/types';
import { truncate } from './normalize';
import type { Signal, SignalKind } from './signals';

const ADVICE: Record<SignalKind, string> = {
  'repeated-call': 'Calling it again will give the same answer. Change something, or take a different approach.',
  'repeated-error': 'Running it again will fail the same way. Read the error and change the code or the approach.',
  alternation: 'You are undoing and redoing the same work. Pick one approach and check it properly.',
  'no-progress': 'Decide on a concrete change now, based on what you have already read.',
  'same-failure':
    'Your edits are not touching what fails. Look at the files the failure names, and fix the cause there.',
  'text-loop': 'Do not restate the plan; carry out its next concrete step.',
};

/**
 * Added once, to the next request, when the guard first warns (by the gateway, so Codex and command agents
 * get it too): a developer message in the Responses API, a user message in Chat Completions.
 */
export function nudgeFor(signal: Signal): string {
  return (
    `[Switchyard loop guard] ${signal.reason}. ${ADVICE[signal.kind]} ` +
    // Said to any agent: only the built-in one has a finish tool.
    'If you are blocked, stop and explain what blocks you (call finish, if you have it) instead of trying again.'
  );
}

/**
 * The reason for each step. Money is not in the text: decisions carry `spentSinceProgressUsd` and
 * `turnsSinceProgress`, and each surface (sidebar, transcript, replay) shows them its own way.
 */
export const reasons = {
  warn: (signal: Signal): string => signal.reason,
  downgrade: (signal: Signal, from: Tier, to: Tier): string =>
    `Still looping after the warning, tier lowered from ${from} to ${to}: ${signal.reason}`,
  pause: (signal: Signal): string => `Stuck, paused for you to resume, resume with a hint, or stop: ${signal.reason}`,
  headlessStop: (signal: Signal): string => `Stopped as stuck (a headless run stops rather than waits for someone; \`switchyard resume\` goes on with it, with a --hint): ${signal.reason}`,
  stopAfterResume: (signal: Signal, hint: string | undefined): string =>
    `Stopped: still looping after it was resumed${hint ? ` with the hint "${truncate(hint, 60)}"` : ''}: ${signal.reason}`,
  resumed: (hint: string | undefined): string =>
    hint ? `Resumed with a hint: "${truncate(hint, 80)}"; it stops if it loops again` : 'Resumed; it stops if it loops again',
};
