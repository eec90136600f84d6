// What a queued session shows while other processes' agents fill the machine (machineSlots.ts): a reason on
// its row, and one line in its transcript (the CLI prints it) when it begins to wait for them.
import type { SessionInfo } from '../../protocol/types';
import type { LiveSession } from './liveSession';
import type { MachineBusy } from './machineSlots';

export function machineWaitReason(busy: MachineBusy, limit: number): string {
  const agents = busy.running === 1 ? '1 agent runs' : `${busy.running} agents run`;
  const where = busy.elsewhere === busy.running ? 'all in other windows or CLI runs' : `${busy.elsewhere} in other windows or CLI runs`;
  const line = busy.ahead ? `; ${busy.ahead} of their sessions waited longer` : '';
  return `Waiting for a free slot: ${agents} on this machine (limit ${limit}), ${where}${line}.`;
}

export class MachineWait {
  /** Queued sessions whose transcript says they wait for the machine, until they start or leave the queue. */
  private readonly told = new Set<string>();
  /** Sessions whose rows showed the machine's reason at the last change: shown again, with it or without. */
  private shown = new Set<string>();

  constructor(
    private readonly queue: { readonly machineBusy: MachineBusy | undefined; waitsForMachine(sessionId: string): boolean },
    private readonly limit: () => number,
    private readonly sessions: () => readonly LiveSession[],
    /** The session's row is to be shown again. */
    private readonly changedRow: (s: LiveSession) => void,
  ) {}

  /** The session's info, with why it waits when the machine is what it waits for. */
  info(info: SessionInfo): SessionInfo {
    const busy = info.status === 'queued' && this.queue.waitsForMachine(info.id) ? this.queue.machineBusy : undefined;
    return busy ? { ...info, statusReason: machineWaitReason(busy, this.limit()) } : info;
  }

  /** The machine's state changed for the queue: each queued session that begins to wait says so, once. */
  changed(): void {
    const busy = this.queue.machineBusy;
    const waiting = busy ? this.sessions().filter(s => s.record.status === 'queued' && this.queue.waitsForMachine(s.id)) : [];
    for (const id of this.told) if (!this.queue.waitsForMachine(id)) this.told.delete(id);
    for (const s of waiting) {
      if (this.told.has(s.id)) continue;
      this.told.add(s.id);
      s.transcript.append({ kind: 'status', ts: new Date().toISOString(), status: 'queued', reason: machineWaitReason(busy!, this.limit()) });
    }
    const rows = new Set([...this.shown, ...waiting.map(s => s.id)]);
    this.shown = new Set(waiting.map(s => s.id));
    for (const s of this.sessions()) if (rows.has(s.id)) this.changedRow(s);
  }

  /** Started: a later wait is said again. */
  started(sessionId: string): void {
    this.told.delete(sessionId);
  }
}
