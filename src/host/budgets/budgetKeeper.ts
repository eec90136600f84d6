// Budgets enforced by reservation: before every request its worst case must fit under every cap.
import { randomUUID } from 'node:crypto';
import type { BudgetStatus } from '../../protocol/spend';
import { microToUsd, usdToMicro, worstCaseMicro } from '../pricing/cost';
import { dearestUnitPrice, type PriceTable, type UnitPrice } from '../pricing/priceTable';
import type { Rollups } from '../ledger/rollups';
import { localDay, localMonth } from '../ledger/localDate';
import { currentProcess, type LockOptions } from '../util/fileLock';
import { type BudgetScope, DEFAULT_MIN_OUTPUT_TOKENS, fitRequest, fitsOnceSettled, type ScopeState } from './fit';
import { refusalMessage } from './budgetText';
import { CapStops } from './capStops';
import { FileReservationStore, heldMicro, liveReservations, type Reservation, type ReservationStore } from './reservations';

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
  | {
      ok: false;
      scope: BudgetScope;
      capUsd: number;
      spentUsd: number;
      reservedUsd: number;
      neededUsd: number;
      message: string;
      /**
       * It would fit but for what is held for requests in flight, the session's own (an agent sending
       * several at once) or other processes': that headroom is not spent and comes back as they finish,
       * so the request is worth asking again.
       */
      heldInFlight?: boolean;
    };

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
  /**
   * Runs under the lock before every decision made there: records what processes that died mid-request
   * spent (inflightRecovery.ts), so the headroom their leases held is not handed out before it is counted.
   */
  recoverDeadRequests?: () => Promise<unknown>;
}

/** This process's share of the day and month headroom, published as one reservation in the store. */
interface Lease {
  id: string;
  amountMicro: number;
  /** Day and month spend (as the rollups read) when the lease was granted: spend since then uses it up. */
  day: string;
  month: string;
  dayBase: number;
  monthBase: number;
  grantedAt: number;
  /** Granted close to a cap, with no room to spare: settled requests hand their share back at once. */
  tight: boolean;
  /** The caps it was granted under: once they change (lowered mid-run), it is sized anew under the lock. */
  dayUsd: number | null;
  monthUsd: number | null;
}

interface InFlight {
  sessionId: string;
  amountMicro: number;
  createdAt: number;
}

/** How long an unused lease is kept before its headroom is handed back to other processes. */
const LEASE_IDLE_MS = 1500;
/**
 * A lease covers the request that asked for it plus up to this many more of its worst case, while the caps
 * leave at least SPARE_FACTOR times that much for each process holding a lease; closer to a cap, leases are
 * exact, so no process sits on headroom another one needs for its last requests.
 */
const LEASE_EXTRA_REQUESTS = 4;
const SPARE_FACTOR = 2;
/** A waiter that has not asked again for this long is gone (it asks about once a second). */
const WAITER_TTL_MS = 10_000;
/** How often the in-memory path looks at the store for other processes' waiters. */
const WAITERS_LOOK_MS = 250;

/**
 * Every request's worst case must fit under every cap. Checking that against the whole machine on every
 * request would take the cross-process lock (and write the reservation file) twice per request, so a
 * process takes a *lease*: a share of the day and month headroom, published in the store like any
 * reservation, granted under the lock with every other process's leases and the caught-up ledger in view.
 * Requests are then reserved against the lease in memory; only when it runs short is it renewed under the
 * lock. Spend since the grant uses the lease up, so the caps hold: every process spends within its own
 * published lease, and the leases were granted to fit under the caps together. Session caps are checked
 * exactly, in memory: a session runs in one process at a time.
 */
export class BudgetKeeper {
  private readonly store: ReservationStore;
  private readonly now: () => Date;
  private readonly maxAgeMs: number;
  private lease: Lease | undefined;
  /** This process's entry while one of its requests waits for held headroom (see Reservation.waitingSince). */
  private readonly waitId = `wait-${randomUUID()}`;
  private waitersSeen = { at: 0, any: false };
  private readonly inFlight = new Map<string, InFlight>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly capStops = new CapStops();

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
    this.cancelIdleRelease();
    const inputUnits = dearestInput(price);
    const fit = { inputUnits, outputUnits: price.output, estimatedInputTokens: req.estimatedInputTokens, maxOutputTokens: req.maxOutputTokens, minOutputTokens };
    const now = this.now();
    const machineWide = caps.dayUsd !== null || caps.monthUsd !== null;

    // In memory: the session cap exactly, the day and month caps against this process's lease.
    const local = [...this.sessionScope(caps, req.sessionId, now)];
    // While another process waits for held headroom, every request is decided under the lock, where no lease
    // takes more than its requests in flight.
    const lease = machineWide && !this.othersWaiting(now) ? this.usableLease(now, caps) : undefined;
    if (lease) local.push({ scope: 'day', capMicro: lease.amountMicro, spentMicro: this.usedOf(lease), reservedMicro: this.inFlightMicro(now) });
    if (!machineWide || lease) {
      const decision = fitRequest(fit, local);
      if (decision.ok && (!decision.shrunk || !machineWide)) return this.grant(req.sessionId, decision, now);
      if (!decision.ok && decision.scope === 'session') return this.refuse(decision, fitsOnceSettled(fit, local, this.inFlightMicro(now, req.sessionId)));
      if (!machineWide && !decision.ok) return this.refuse(decision);
    }

    // Under the lock: every process's leases and the caught-up ledger in view; the lease is sized anew.
    return this.store.update<ReserveResult>(async current => {
      await this.o.recoverDeadRequests?.();
      await this.o.ledger.catchUp();
      const t = this.now();
      const others = liveReservations(current, t.getTime(), this.maxAgeMs).filter(r => r.id !== this.lease?.id && r.id !== this.waitId && !(r.waitingSince !== undefined && t.getTime() - r.createdAt >= WAITER_TTL_MS));
      const inFlight = this.inFlightMicro(t);
      const scopes = [...this.sessionScope(caps, req.sessionId, t), ...this.machineScopes(caps, t, heldMicro(others) + inFlight)];
      const decision = fitRequest(fit, scopes);
      if (!decision.ok) {
        // Keep what is in flight covered, but never more than the caps leave: a request that finished
        // but is not settled yet is counted both in the ledger and in flight, and that double count must
        // not turn into headroom once it settles.
        const room = Math.min(...scopes.filter(sc => sc.scope !== 'session').map(sc => sc.capMicro - sc.spentMicro - heldMicro(others)));
        const next = this.publish(others, Math.max(0, Math.min(inFlight, room)), t, true, caps);
        // Held, not spent: by this session's own requests in flight (an agent sending several at once), by
        // this process's other sessions', or by other processes' shares. Each comes back as its requests finish.
        const held = decision.scope === 'session'
          ? fitsOnceSettled(fit, scopes, this.inFlightMicro(t, req.sessionId))
          : heldMicro(others) + inFlight > 0 && fitRequest(fit, scopes.map(sc => ({ ...sc, reservedMicro: 0 }))).ok;
        // Waiting for the day's or month's headroom: said in the store, so that other processes hold no more
        // than their requests in flight meanwhile (it asks again about once a second, which keeps it fresh).
        const waiter = held && decision.scope !== 'session'
          ? [{ id: this.waitId, owner: currentProcess(), sessionId: '*', model: '*', amountMicro: 0, createdAt: t.getTime(), waitingSince: t.getTime(), neededMicro: decision.neededMicro }]
          : [];
        return { next: [...next, ...waiter], result: this.refuse(decision, held) };
      }
      // Room beyond this request, for the next few, without taking more than the caps leave.
      const fullWorst = worstCaseMicro(inputUnits, price.output, req.estimatedInputTokens, req.maxOutputTokens);
      const spare = Math.max(0, Math.min(...scopes.filter(sc => sc.scope !== 'session').map(sc => sc.capMicro - sc.spentMicro - sc.reservedMicro - decision.reserveMicro)));
      const wanted = fullWorst * LEASE_EXTRA_REQUESTS;
      // Shared by every process drawing on the caps: each takes at most its part of what is spare, or its
      // extra would be headroom the next process waits for while nobody spends it.
      const holders = others.filter(r => r.waitingSince === undefined);
      const part = Math.floor(spare / (SPARE_FACTOR * (holders.length + 1)));
      // Nothing beyond its requests while another process waits: what it would hold, the waiter needs.
      const extra = holders.length < others.length ? 0 : part >= wanted ? wanted : part >= fullWorst ? part : 0;
      const next = this.publish(others, inFlight + decision.reserveMicro + extra, t, extra === 0, caps);
      return { next, result: this.grant(req.sessionId, decision, t) };
    });
  }

  /**
   * Releases a reservation. Call it after the request's usage record was appended to the ledger (its
   * spend is then counted there), or when the request ended without usage; never before the append.
   */
  async settle(reservationId: string | null): Promise<void> {
    if (!reservationId || !this.inFlight.delete(reservationId)) return;
    if (this.lease?.tight) await this.shrinkLease();
    else if (this.inFlight.size === 0) this.scheduleIdleRelease();
  }

  /**
   * What reserve() needs at the least for a request with this much input: its worst case with the fewest
   * output tokens worth asking for. Null when the model has no price (no dollar cap holds it).
   */
  smallestRequestUsd(model: string, estimatedInputTokens: number, maxOutputTokens: number): number | null {
    const price = dearestUnitPrice(this.o.prices(), model);
    const floor = Math.max(1, Math.min(DEFAULT_MIN_OUTPUT_TOKENS, maxOutputTokens));
    return price && microToUsd(worstCaseMicro(dearestInput(price), price.output, estimatedInputTokens, floor));
  }

  /** Runs fn under the cross-process lock every budget decision is made under, changing no reservation. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.store.update(async current => ({ next: current, result: await fn() }));
  }

  /** Near a cap: the published lease drops to what is still in flight, so others can use the rest. */
  private async shrinkLease(): Promise<void> {
    await this.store.update(async current => {
      const t = this.now();
      const others = liveReservations(current, t.getTime(), this.maxAgeMs).filter(r => r.id !== this.lease?.id);
      return { next: this.publish(others, this.inFlightMicro(t), t, true, this.lease ?? { dayUsd: null, monthUsd: null }), result: undefined };
    });
  }

  /** Where each capped scope stands: the rollups as last read, other processes' leases, and this one's requests. */
  status(caps: BudgetCaps, sessionId?: string): BudgetStatus[] {
    const now = this.now();
    const others = liveReservations(this.store.peek(), now.getTime(), this.maxAgeMs).filter(r => r.id !== this.lease?.id);
    const scopes = [
      ...(sessionId === undefined ? [] : this.sessionScope(caps, sessionId, now)),
      ...this.machineScopes(caps, now, heldMicro(others) + this.inFlightMicro(now)),
    ];
    const stopped = (sc: ScopeState) => (this.capStops.stops(sc.scope, sc.capMicro, now) ? { stopped: true } : {});
    return scopes.map(sc => ({ scope: sc.scope, capUsd: microToUsd(sc.capMicro), spentUsd: microToUsd(sc.spentMicro), reservedUsd: microToUsd(sc.reservedMicro), ...stopped(sc) }));
  }

  /** Whether another process waits for held headroom now (looked at in the store a few times a second at most). */
  private othersWaiting(now: Date): boolean {
    // The wall clock paces the looks; the budget clock (which tests hold still) dates the entries.
    const wall = Date.now();
    if (wall - this.waitersSeen.at < WAITERS_LOOK_MS) return this.waitersSeen.any;
    const t = now.getTime();
    const any = this.store.peek().some(r => r.waitingSince !== undefined && r.id !== this.waitId && t - r.createdAt < WAITER_TTL_MS);
    this.waitersSeen = { at: wall, any };
    return any;
  }

  /** Whether other processes hold shares of the day and month caps now. */
  othersHoldShares(): boolean {
    const now = this.now();
    return heldMicro(liveReservations(this.store.peek(), now.getTime(), this.maxAgeMs).filter(r => r.id !== this.lease?.id)) > 0;
  }

  /** Hands the lease back (a process going away or idle); its headroom is free for others again. */
  async releaseLease(): Promise<void> {
    this.cancelIdleRelease();
    if (!this.lease) return;
    const id = this.lease.id;
    this.lease = undefined;
    await this.store.update(async current => ({ next: current.some(r => r.id === id) ? current.filter(r => r.id !== id) : current, result: undefined }));
  }

  private grant(sessionId: string, d: { maxOutputTokens: number; reserveMicro: number; shrunk: boolean }, now: Date): ReserveResult {
    this.capStops.letThrough();
    const id = randomUUID();
    this.inFlight.set(id, { sessionId, amountMicro: d.reserveMicro, createdAt: now.getTime() });
    return { ok: true, reservationId: id, maxOutputTokens: d.maxOutputTokens, shrunk: d.shrunk, reservedUsd: microToUsd(d.reserveMicro), unpriced: false };
  }

  private refuse(d: { scope: BudgetScope; capMicro: number; spentMicro: number; reservedMicro: number; neededMicro: number }, heldInFlight = false): ReserveResult {
    const refusal = {
      ok: false as const,
      scope: d.scope,
      capUsd: microToUsd(d.capMicro),
      spentUsd: microToUsd(d.spentMicro),
      reservedUsd: microToUsd(d.reservedMicro),
      neededUsd: microToUsd(d.neededMicro),
    };
    if (this.inFlight.size === 0) this.scheduleIdleRelease();
    if (d.scope !== 'session' && !heldInFlight) this.capStops.refused(d.scope, d.capMicro, this.now());
    return { ...refusal, message: refusalMessage(refusal), ...(heldInFlight ? { heldInFlight } : {}) };
  }

  /** The store's list with this process's lease set to `amountMicro` (removed at 0). */
  private publish(others: readonly Reservation[], amountMicro: number, now: Date, tight: boolean, caps: Pick<BudgetCaps, 'dayUsd' | 'monthUsd'>): readonly Reservation[] {
    const rollups = this.o.ledger.rollups;
    const day = localDay(now);
    const month = localMonth(now);
    this.lease = {
      id: this.lease?.id ?? `lease-${randomUUID()}`,
      amountMicro,
      day,
      month,
      dayBase: rollups.dayCostMicro(day),
      monthBase: rollups.monthCostMicro(month),
      grantedAt: now.getTime(),
      tight,
      dayUsd: caps.dayUsd,
      monthUsd: caps.monthUsd,
    };
    if (amountMicro <= 0) return others;
    return [...others, { id: this.lease.id, owner: currentProcess(), sessionId: '*', model: '*', amountMicro, createdAt: now.getTime() }];
  }

  /**
   * The lease, unless it is missing, was granted on another day (a new day starts new spend, which the
   * lease's bases do not see), or is old enough that other processes might soon stop counting it.
   */
  private usableLease(now: Date, caps: BudgetCaps): Lease | undefined {
    const lease = this.lease;
    // A tight lease is never drawn on in memory: near a cap every request is checked under the lock.
    if (!lease || lease.tight || lease.amountMicro <= 0 || lease.day !== localDay(now)) return undefined;
    if (lease.dayUsd !== caps.dayUsd || lease.monthUsd !== caps.monthUsd) return undefined;
    return now.getTime() - lease.grantedAt < this.maxAgeMs / 4 ? lease : undefined;
  }

  /** Spend since the lease was granted (all of it counts against the lease: a safe over-estimate). */
  private usedOf(lease: Lease): number {
    const rollups = this.o.ledger.rollups;
    return Math.max(0, rollups.dayCostMicro(lease.day) - lease.dayBase, rollups.monthCostMicro(lease.month) - lease.monthBase);
  }

  private inFlightMicro(now: Date, sessionId?: string): number {
    let total = 0;
    for (const [id, r] of this.inFlight) {
      // A request never settled (a bug, or stuck far past every timeout) stops holding budget.
      if (now.getTime() - r.createdAt >= this.maxAgeMs) {
        this.inFlight.delete(id);
        continue;
      }
      if (sessionId === undefined || r.sessionId === sessionId) total += r.amountMicro;
    }
    return total;
  }

  private sessionScope(caps: BudgetCaps, sessionId: string, now: Date): ScopeState[] {
    if (caps.sessionUsd === null) return [];
    return [{ scope: 'session', capMicro: capMicro(caps.sessionUsd), spentMicro: this.o.ledger.rollups.sessionCostMicro(sessionId), reservedMicro: this.inFlightMicro(now, sessionId) }];
  }

  // Every request in flight counts against today and this month, whenever it was reserved: its
  // record lands at the time it finishes, which may be after midnight.
  private machineScopes(caps: BudgetCaps, now: Date, reservedMicro: number): ScopeState[] {
    const rollups = this.o.ledger.rollups;
    const out: ScopeState[] = [];
    if (caps.dayUsd !== null) out.push({ scope: 'day', capMicro: capMicro(caps.dayUsd), spentMicro: rollups.dayCostMicro(localDay(now)), reservedMicro });
    if (caps.monthUsd !== null) out.push({ scope: 'month', capMicro: capMicro(caps.monthUsd), spentMicro: rollups.monthCostMicro(localMonth(now)), reservedMicro });
    return out;
  }

  private scheduleIdleRelease(): void {
    if (!this.lease || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.inFlight.size === 0) void this.releaseLease().catch(() => undefined);
    }, LEASE_IDLE_MS);
    this.idleTimer.unref();
  }

  private cancelIdleRelease(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}

function capMicro(usd: number): number {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`a budget cap must be a number of dollars >= 0, got ${usd}`);
  return usdToMicro(usd);
}

/** A cache write can cost more than plain input (1.25x from gpt-5.6), so it bounds input too. */
function dearestInput(price: UnitPrice): bigint {
  return [price.input, price.cachedInput, price.cacheWrite].reduce((a, b) => (b > a ? b : a));
}
