// Sessions another window or CLI run ran, paused because it closed or was killed while they ran: said in
// this window as they pause, with the way back, instead of only when this window next opens. This window's
// own host's pauses (a restart, a crash) are said where they happen, and a run ended on purpose (Ctrl-C)
// gives another reason: neither is said here.
import { STOPPED_WHILE_RUNNING } from '../protocol/sessions';
import type { SessionInfo, SessionStatus } from '../protocol/types';
import type { HostClient } from './hostClient';
import { Disposable } from './lifecycle';
import type { SessionState } from './sessionState';

/**
 * How long to gather pauses before saying them: a window that closes pauses its sessions one by one, and
 * one that reloads offers them itself when it is back (only those still paused then are said here).
 */
const GATHER_MS = 8000;

const RUNNING: readonly SessionStatus[] = ['running', 'waiting'];

export class PausedElsewhere extends Disposable {
  /** Sessions last seen running, and by whom. */
  private readonly ranBy = new Map<string, 'here' | 'elsewhere'>();
  /** Run here when this window's host ended: the next host shows them running until it pauses them. */
  private readonly endedHere = new Set<string>();
  private gathered: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(state: SessionState, host: HostClient, private readonly offer: (ids: readonly string[]) => void) {
    super();
    this.register(state.onDidChangeSessions(list => this.seen(list)));
    this.register(state.onDidRemoveSessions(ids => ids.forEach(id => this.ranBy.delete(id))));
    this.register(host.onDidChangeState(st => {
      if (st !== 'ready') for (const [id, by] of this.ranBy) if (by === 'here') this.endedHere.add(id);
    }));
    this.register({ dispose: () => clearTimeout(this.timer) });
  }

  private seen(list: readonly SessionInfo[]): void {
    for (const s of list) {
      const before = this.ranBy.get(s.id);
      if (RUNNING.includes(s.status)) {
        this.ranBy.set(s.id, s.runsHere || this.endedHere.has(s.id) ? 'here' : 'elsewhere');
        continue;
      }
      this.ranBy.delete(s.id);
      this.endedHere.delete(s.id);
      if (before === 'elsewhere' && s.status === 'paused' && s.statusReason?.startsWith(STOPPED_WHILE_RUNNING)) this.gather(s.id);
    }
  }

  private gather(id: string): void {
    this.gathered.push(id);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const ids = this.gathered;
      this.gathered = [];
      this.offer(ids);
    }, GATHER_MS);
  }
}
