// Session change notifications, coalesced: however fast agents stream, the UI hears about each changed
// session at most a few times a second, in one batch.
import type { SessionInfo } from '../../protocol/types';
import { Throttle } from '../util/throttle';

// At most ten a second: the sidebar is never more than a tenth of a second behind the host.
const NOTIFY_MS = 100;

export class SessionNotifier {
  private readonly dirty = new Set<string>();
  private readonly throttle = new Throttle(NOTIFY_MS, () => this.sendDirty());

  constructor(
    /** The sessions to send for these ids (plus any whose derived state moved, e.g. queue positions). */
    private readonly collect: (ids: readonly string[]) => SessionInfo[],
    private readonly send: (sessions: SessionInfo[]) => void,
  ) {}

  changed(id: string): void {
    this.dirty.add(id);
    this.throttle.trigger();
  }

  flush(): void {
    this.throttle.flush();
  }

  private sendDirty(): void {
    const ids = [...this.dirty];
    this.dirty.clear();
    const sessions = this.collect(ids);
    if (sessions.length) this.send(sessions);
  }

  dispose(): void {
    this.throttle.flush();
    this.throttle.dispose();
  }
}
