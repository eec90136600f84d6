// Budgets enforced by reservation: before every request its worst case must fit under every cap.
import { randomUUID } from 'node:crypto';
import type { BudgetStatus } from '../../protocol/spend';
import { microToUsd, usdToMicro } from '../pricing/cost';
import { dearestUnitPrice, type PriceTable } from '../pricing/priceTable';
import type { Rollups } from '../ledger/rollups';
import { localDay, localMonth } from '../ledger/localDate';
import { currentProcess, isProcessAlive, type LockOptions } from '../util/fileLock';
import { type BudgetScope, DEFAULT_MIN_OUTPUT_TOKENS, fitRequest, type ScopeState } from './fit';
import { FileReservationStore, type Reservation, type ReservationStore } from './reservations';

/** Caps in USD; null: no cap at that scope. Day and month are for the whole machine. */
export interface BudgetCaps {
  sessionUsd: number | null;
  dayUsd: number | null;
  monthUsd: number | null;
}

export interface ReserveRequest {
  sessionId: string;
  model: string;
  /** All input counted as uncached (the worst case). */
  estimatedInputTokens: number;
  maxOutputTokens: number;
  /** Refuse rather than shrink the output cap below this. Default 256. */
  minOutputTokens?: number;
}

export type ReserveResult =
  | {
      ok: true;
      /** Pass to settle() once the request's usage record is in the ledger (or the request failed). Null: nothing held. */
      reservationId: string | null;
      /** What to send as the request's output cap; lower than asked when `shrunk`. */
      maxOutputTokens: number;
      shrunk: boolean;
      reservedUsd: number;
      /** The model has no price: let through, but no dollar cap can hold it. */
      unpriced: boolean;
    }
  | { ok: false; scope: BudgetScope; capUsd: number; spentUsd: number; reservedUsd: number; neededUsd: number; message: string };

/** Spend as recorded: the ledger (or anything with the same face). */
export interface SpendSource {
  catchUp(): Promise<unknown>;
  readonly rollups: Rollups;
}

export interface BudgetKeeperOptions {
  ledger: SpendSource;
  prices: () => PriceTable;
  /** Folder of the reservation file and its lock (the ledger's); required unless `store` is given. */
  dir?: string;
  store?: ReservationStore;
  now?: () => Date;
  /**
   * A reservation older than this is dropped even though its process lives: a request that was never
   * settled (a bug, or a request stuck far past every timeout). Default 2 h.
   */
  maxReservationAgeMs?: number;
  lock?: LockOptions;
}

const SCOPE_NAMES: Record<BudgetScope, string> = { session: 'Session budget', day: 'Daily cap', month: 'Monthly cap' };

export class BudgetKeeper {
  private readonly store: ReservationStore;
  private readonly now: () => Date;
  private readonly maxAgeMs: number;

  constructor(private readonly o: BudgetKeeperOptions) {
    if (!o.store && !o.dir) throw new TypeError('BudgetKeeper needs a dir (for the reservation file) or a store');
    this.store = o.store ?? new FileReservationStore(o.dir!, o.lock);
    this.now = o.now ?? (() => new Date());
    this.maxAgeMs = o.maxReservationAgeMs ?? 2 * 60 * 60_000;
  }

  async reserve(req: ReserveRequest, caps: BudgetCaps): Promise<ReserveResult> {
    const price = dearestUnitPrice(this.o.prices(), req.model);
    const minOutputTokens = req.minOutputTokens ?? DEFAULT_MIN_OUTPUT_TOKENS;
    if (!price) {
      return { ok: true, reservationId: null, maxOutputTokens: req.maxOutputTokens, shrunk: false, reservedUsd: 0, unpriced: true };
    }
    // A cache write can cost more than plain input (1.25x from gpt-5.6), so it bounds input too.
    const inputUnits = [price.input, price.cachedInput, price.cacheWrite].reduce((a, b) => (b > a ? b : a));
    return this.store.update<ReserveResult>(async current => {
      await this.o.ledger.catchUp();
      const now = this.now();
      const live = this.liveOnly(current, now);
      const decision = fitRequest(
        { inputUnits, outputUnits: price.output, estimatedInputTokens: req.estimatedInputTokens, maxOutputTokens: req.maxOutputTokens, minOutputTokens },
        this.scopes(caps, req.sessionId, live, now),
      );
      if (!decision.ok) {
        const refusal = {
          ok: false as const,
          scope: decision.scope,
          capUsd: microToUsd(decision.capMicro),
          spentUsd: microToUsd(decision.spentMicro),
          reservedUsd: microToUsd(decision.reservedMicro),
          neededUsd: microToUsd(decision.neededMicro),
        };
        return { next: live, result: { ...refusal, message: refusalMessage(refusal) } };
      }
      const reservation: Reservation = {
        id: randomUUID(),
        owner: currentProcess(),
        sessionId: req.sessionId,
        model: req.model,
        amountMicro: decision.reserveMicro,
        createdAt: now.getTime(),
      };
      return {
        next: [...live, reservation],
        result: {
          ok: true as const,
          reservationId: reservation.id,
          maxOutputTokens: decision.maxOutputTokens,
          shrunk: decision.shrunk,
          reservedUsd: microToUsd(decision.reserveMicro),
          unpriced: false,
        },
      };
    });
  }

  /**
   * Releases a reservation. Call it after the request's usage record was appended to the ledger (its
   * spend is then counted there), or when the request ended without usage; never before the append.
   */
  async settle(reservationId: string | null): Promise<void> {
    if (!reservationId) return;
    await this.store.update(async current => {
      const next = this.liveOnly(current, this.now()).filter(r => r.id !== reservationId);
      return { next: next.length === current.length ? current : next, result: undefined };
    });
  }

  /** Where each capped scope stands, from the rollups as last read and the reservations as stored. */
  status(caps: BudgetCaps, sessionId?: string): BudgetStatus[] {
    const now = this.now();
    const live = this.liveOnly(this.store.peek(), now);
    const scopes = this.scopes(sessionId === undefined ? { ...caps, sessionUsd: null } : caps, sessionId ?? '', live, now);
    return scopes.map(s => ({ scope: s.scope, capUsd: microToUsd(s.capMicro), spentUsd: microToUsd(s.spentMicro), reservedUsd: microToUsd(s.reservedMicro) }));
  }

  private scopes(caps: BudgetCaps, sessionId: string, live: readonly Reservation[], now: Date): ScopeState[] {
    const rollups = this.o.ledger.rollups;
    // Every request in flight counts against today and this month, whenever it was reserved: its
    // record lands at the time it finishes, which may be after midnight.
    const allReserved = sum(live);
    const out: ScopeState[] = [];
    if (caps.sessionUsd !== null) {
      out.push({ scope: 'session', capMicro: capMicro(caps.sessionUsd), spentMicro: rollups.sessionCostMicro(sessionId), reservedMicro: sum(live.filter(r => r.sessionId === sessionId)) });
    }
    if (caps.dayUsd !== null) out.push({ scope: 'day', capMicro: capMicro(caps.dayUsd), spentMicro: rollups.dayCostMicro(localDay(now)), reservedMicro: allReserved });
    if (caps.monthUsd !== null) out.push({ scope: 'month', capMicro: capMicro(caps.monthUsd), spentMicro: rollups.monthCostMicro(localMonth(now)), reservedMicro: allReserved });
    return out;
  }

  /** Drops reservations whose process is gone or that are too old; asks the OS once per owner. */
  private liveOnly(list: readonly Reservation[], now: Date): readonly Reservation[] {
    const me = currentProcess();
    const alive = new Map<string, boolean>();
    const live = list.filter(r => {
      if (now.getTime() - r.createdAt >= this.maxAgeMs) return false;
      const o = r.owner;
      if (o.pid === me.pid && o.host === me.host && o.start === me.start) return true;
      const key = `${o.host}/${o.pid}/${o.start}`;
      let ok = alive.get(key);
      if (ok === undefined) alive.set(key, (ok = isProcessAlive(o)));
      return ok;
    });
    return live.length === list.length ? list : live;
  }
}

function sum(list: readonly Reservation[]): number {
  let total = 0;
  for (const r of list) total += r.amountMicro;
  return total;
}

function capMicro(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`a budget cap must be a number of dollars >= 0, got ${usd}`);
  return usdToMicro(usd);
}

function refusalMessage(r: { scope: BudgetScope; capUsd: number; spentUsd: number; reservedUsd: number; neededUsd: number }): string {
  const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;
  const inFlight = r.reservedUsd > 0 ? `, ${usd(r.reservedUsd)} held by requests in flight` : '';
  return `${SCOPE_NAMES[r.scope]} reached: ${usd(r.spentUsd)} of ${usd(r.capUsd)} spent${inFlight}; the smallest useful request needs up to ${usd(r.neededUsd)}.`;
}
