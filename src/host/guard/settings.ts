// Loop guard thresholds: the shared GuardSettings plus the few knobs only the guard needs.
import { GUARD_MINIMUMS, type GuardSettings } from '../../protocol/host';
import { GuardSettingsError } from './errors';

export interface LoopGuardSettings extends GuardSettings {
  /** How many recent turns the repeated-call and text-loop signals look back over. */
  window: number;
  /** Turns without progress after which even turns that read something new count as going nowhere. */
  exploreTurns: number;
  /** Shortest paragraph (characters, after normalising) that counts for the text-loop signal. */
  minParagraphChars: number;
}

/**
 * Defaults chosen so that an agent re-running the same failing command is paused before its 7th
 * request (warn on the 2nd identical failure, then one step every 2 looping turns), while
 * edit-and-retest cycles, many-file refactors and long explorations never warn.
 */
export const DEFAULT_GUARD_SETTINGS: LoopGuardSettings = Object.freeze({
  enabled: true,
  repeatedCall: 3,
  repeatedError: 2,
  alternation: 4,
  noProgressTurns: 5,
  noProgressUsd: 2,
  sameFailure: 3,
  textLoop: 3,
  escalateAfter: 2,
  window: 12,
  exploreTurns: 40,
  minParagraphChars: 60,
});

const MINIMUMS: Record<Exclude<keyof LoopGuardSettings, 'enabled' | 'noProgressUsd'>, number> = {
  ...GUARD_MINIMUMS,
  window: 2,
  exploreTurns: 1,
  minParagraphChars: 1,
};

/** Defaults overlaid with the given values, each checked; a bad value is named in the error. */
export function resolveGuardSettings(overrides: Partial<LoopGuardSettings> = {}): LoopGuardSettings {
  const merged: LoopGuardSettings = { ...DEFAULT_GUARD_SETTINGS };
  for (const [key, value] of Object.entries(overrides) as [keyof LoopGuardSettings, unknown][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_GUARD_SETTINGS)) throw new GuardSettingsError(key, 'is not a loop guard setting');
    if (key === 'enabled') {
      if (typeof value !== 'boolean') throw new GuardSettingsError(key, 'must be true or false');
      merged.enabled = value;
    } else if (key === 'noProgressUsd') {
      if (typeof value !== 'number' || !(value > 0)) throw new GuardSettingsError(key, 'must be a positive number of dollars');
      merged.noProgressUsd = value;
    } else {
      const min = MINIMUMS[key];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
        throw new GuardSettingsError(key, `must be a whole number of at least ${min}`);
      }
      merged[key] = value;
    }
  }
  return merged;
}
