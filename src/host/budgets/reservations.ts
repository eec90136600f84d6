// Where budget reservations of requests in flight are kept: one file for the machine, or memory for tests.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive, isThisProcess, type LockOptions, type ProcessIdentity, withFileLock } from '../util/fileLock';
import { makeDir } from '../util/makeDir';

export interface Reservation {
  id: string;
  /** The process whose request this is: when it is gone, so is the request. */
  owner: ProcessIdentity;
  sessionId: string;
  model: string;
  amountMicro: number;
  /** Epoch ms. */
  createdAt: number;
  /**
   * Not a reservation but a process waiting for headroom held by requests in flight (as of this time, epoch
   * ms), for a request that needs `neededMicro`: meanwhile other processes hold no more than their requests
   * in flight. Refreshed each time it asks again (about once a second); stale after a few seconds.
   */
  waitingSince?: number;
  neededMicro?: number;
}

export interface ReservationStore {
  /**
   * Runs fn with every other update (in any process) shut out, and stores the list it returns.
   * This is what makes check-and-reserve atomic.
   */
  update<T>(fn: (current: readonly Reservation[]) => Promise<{ next: readonly Reservation[]; result: T }>): Promise<T>;
  /** The stored list as of now, without waiting for the lock (for displays). */
  peek(): readonly Reservation[];
}

/** The reservations whose process is alive and that are younger than `maxAgeMs`; asks the OS once per owner. */
export function liveReservations(list: readonly Reservation[], nowMs: number, maxAgeMs: number): readonly Reservation[] {
  const alive = new Map<string, boolean>();
  const live = list.filter(r => {
    if (nowMs - r.createdAt >= maxAgeMs) return false;
    const o = r.owner;
    if (isThisProcess(o)) return true;
    const key = `${o.host}/${o.pidNs}/${o.pid}/${o.start}`;
    let ok = alive.get(key);
    if (ok === undefined) alive.set(key, (ok = isProcessAlive(o)));
    return ok;
  });
  return live.length === list.length ? list : live;
}

/** What the reservations hold together, in micro-dollars. */
export function heldMicro(list: readonly Reservation[]): number {
  let total = 0;
  for (const r of list) total += r.amountMicro;
  return total;
}

export const RESERVATIONS_FILE = 'reservations.json';
export const BUDGET_LOCK_FILE = 'budgets.lock';

/**
 * One JSON file under a lock file, replaced by rename so a lock-free peek never sees half a file.
 * It is not fsync'ed: a reservation means nothing once its process is gone, and after a power loss
 * every process is.
 */
export class FileReservationStore implements ReservationStore {
  private readonly file: string;
  private readonly lockPath: string;

  constructor(private readonly dir: string, private readonly lockOptions: LockOptions = {}) {
    this.file = path.join(dir, RESERVATIONS_FILE);
    this.lockPath = path.join(dir, BUDGET_LOCK_FILE);
  }

  update<T>(fn: (current: readonly Reservation[]) => Promise<{ next: readonly Reservation[]; result: T }>): Promise<T> {
    return withFileLock(
      this.lockPath,
      async () => {
        const current = this.peek();
        const { next, result } = await fn(current);
        if (next !== current) await this.write(next);
        return result;
      },
      this.lockOptions,
    );
  }

  peek(): readonly Reservation[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    try {
      const v = JSON.parse(text) as { reservations?: unknown };
      return Array.isArray(v.reservations) ? v.reservations.filter(isReservation) : [];
    } catch {
      return [];
    }
  }

  private async write(list: readonly Reservation[]): Promise<void> {
    await makeDir(this.dir);
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fsp.writeFile(tmp, JSON.stringify({ reservations: list }));
      await fsp.rename(tmp, this.file);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw e;
    }
  }
}

/** Same contract within one process: for tests and for a host that runs alone. */
export class MemoryReservationStore implements ReservationStore {
  private list: readonly Reservation[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  update<T>(fn: (current: readonly Reservation[]) => Promise<{ next: readonly Reservation[]; result: T }>): Promise<T> {
    const run = this.tail.then(async () => {
      const { next, result } = await fn(this.list);
      this.list = next;
      return result;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  peek(): readonly Reservation[] {
    return this.list;
  }
}

function isReservation(v: unknown): v is Reservation {
  const r = v as Reservation;
  return (
    typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.sessionId === 'string' &&
    typeof r.amountMicro === 'number' && typeof r.createdAt === 'number' &&
    typeof r.owner === 'object' && r.owner !== null && typeof r.owner.pid === 'number' && typeof r.owner.host === 'string'
  );
}
