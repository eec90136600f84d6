// Records this process is appending and has not yet read back into the rollups. The sidebar and the
// meter count them at once, so what they show does not wait for the durable append (an fdatasync that
// can queue behind a fleet's git and sandbox writes). Budgets do not read them: a request in flight is
// already held by its reservation until its record is in the rollups (the meter's budgets line shows
// that much of the held sum as spent, as the spend beside it does).
import type { UsageRecord } from '../../protocol/records';
import { localDay, monthOfDay } from './localDate';
import { Agg, addRecord } from './rollups';

interface Entry {
  record: UsageRecord;
  day: string;
}

export class PendingUsage {
  // One in flight per running session at most, so summing on demand stays cheap.
  private readonly entries = new Map<string, Entry>();

  get size(): number {
    return this.entries.size;
  }

  add(record: UsageRecord): void {
    this.entries.set(record.id, { record, day: localDay(new Date(record.ts)) });
  }

  /** The record is in the rollups now, or its append failed; true if it was pending here. */
  settle(id: string): boolean {
    return this.entries.delete(id);
  }

  /** The pending records of a session, summed; undefined when it has none. */
  forSession(sessionId: string): Agg | undefined {
    return this.sum(e => e.record.sessionId === sessionId);
  }

  forDay(day: string): Agg | undefined {
    return this.sum(e => e.day === day);
  }

  forMonth(month: string): Agg | undefined {
    return this.sum(e => monthOfDay(e.day) === month);
  }

  /**
   * The cost (micro-dollars) of the pending records of `day` and `month` whose request's reservation this
   * process still holds: all but a worst case recovered for a process that died, which holds none here.
   */
  heldCostMicro(day: string, month: string): { day: number; month: number } {
    const held = (match: (e: Entry) => boolean) => (this.sum(e => !e.record.worstCase && match(e))?.costMicro ?? 0);
    return { day: held(e => e.day === day), month: held(e => monthOfDay(e.day) === month) };
  }

  private sum(match: (e: Entry) => boolean): Agg | undefined {
    let a: Agg | undefined;
    for (const e of this.entries.values()) if (match(e)) addRecord((a ??= new Agg()), e.record);
    return a;
  }
}
