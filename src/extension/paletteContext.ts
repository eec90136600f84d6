// Which session commands the command palette offers: those with a session to act on. One that can only
// answer "there is no session to …" is noise among a palette's hundreds of commands. Free of `vscode`
// but for the one call that sets the keys, so the rules are unit-tested in plain Node.
import { ACTIVE_STATUSES, MERGEABLE_STATUSES, OPEN_STATUSES, RESUMABLE_STATUSES, RUNNABLE_STATUSES, STOPPABLE_STATUSES, type SessionInfo } from '../protocol/types';

/** A session a discard can act on: open, or merged with its worktree kept. */
export const discardable = (s: SessionInfo): boolean => OPEN_STATUSES.includes(s.status) || (s.status === 'merged' && s.worktreeKept === true);

/** Each context key package.json's commandPalette names, and the sessions that make it true. */
export const PALETTE_KEYS: Readonly<Record<string, (s: SessionInfo) => boolean>> = {
  'switchyard.anySession': () => true,
  'switchyard.anyWaiting': s => s.status === 'waiting',
  'switchyard.anyActive': s => ACTIVE_STATUSES.includes(s.status),
  'switchyard.anyResumable': s => RESUMABLE_STATUSES.includes(s.status),
  'switchyard.anyStoppable': s => STOPPABLE_STATUSES.includes(s.status),
  'switchyard.anyFailed': s => s.status === 'failed',
  'switchyard.anyRunnable': s => RUNNABLE_STATUSES.includes(s.status),
  'switchyard.anyOpen': s => OPEN_STATUSES.includes(s.status),
  'switchyard.anyMergeable': s => MERGEABLE_STATUSES.includes(s.status),
  'switchyard.anyDiscardable': discardable,
};

export function paletteKeys(all: readonly SessionInfo[]): Record<string, boolean> {
  return Object.fromEntries(Object.entries(PALETTE_KEYS).map(([key, fits]) => [key, all.some(fits)]));
}

/** Sets the keys that changed since the last call (a fleet changes sessions several times a second). */
export class PaletteContext {
  private readonly said = new Map<string, boolean>();

  constructor(private readonly setContext: (key: string, value: boolean) => void) {}

  update(all: readonly SessionInfo[]): void {
    for (const [key, value] of Object.entries(paletteKeys(all))) {
      if (this.said.get(key) === value) continue;
      this.said.set(key, value);
      this.setContext(key, value);
    }
  }
}
