// The pure budget decision: does a request's worst case fit under every cap, and with how many output tokens.
import { PRICE_UNITS_PER_USD } from '../pricing/priceTable';
import { worstCaseMicro } from '../pricing/cost';

export type BudgetScope = 'session' | 'day' | 'month';

export interface ScopeState {
  scope: BudgetScope;
  capMicro: number;
  /** Recorded spend in the scope. */
  spentMicro: number;
  /** Worst cases of requests in flight in the scope. */
  reservedMicro: number;
}

export interface FitRequest {
  /** Dearest price per input token over every tier and input kind (uncached, cached, cache write). */
  inputUnits: bigint;
  /** Dearest price per output token over every tier. */
  outputUnits: bigint;
  estimatedInputTokens: number;
  maxOutputTokens: number;
  /** Below this many output tokens a request is not worth sending; capped at maxOutputTokens. */
  minOutputTokens: number;
}

export type FitDecision =
  | { ok: true; maxOutputTokens: number; reserveMicro: number; shrunk: boolean }
  | { ok: false; scope: BudgetScope; capMicro: number; spentMicro: number; reservedMicro: number; neededMicro: number };

export const DEFAULT_MIN_OUTPUT_TOKENS = 256;

/**
 * The worst case is every input token at the dearest input price and every allowed output token at the
 * dearest output price, rounded up; so whatever the request is served at, its cost cannot pass a cap
 * that this accepted. When the full request does not fit, the output cap shrinks down to the floor.
 */
export function fitRequest(req: FitRequest, scopes: readonly ScopeState[]): FitDecision {
  checkCount('estimatedInputTokens', req.estimatedInputTokens, 0);
  checkCount('maxOutputTokens', req.maxOutputTokens, 1);
  checkCount('minOutputTokens', req.minOutputTokens, 0);
  const full = worstCaseMicro(req.inputUnits, req.outputUnits, req.estimatedInputTokens, req.maxOutputTokens);
  const binding = tightest(scopes);
  if (!binding) return { ok: true, maxOutputTokens: req.maxOutputTokens, reserveMicro: full, shrunk: false };
  const left = remaining(binding);
  if (full <= left) return { ok: true, maxOutputTokens: req.maxOutputTokens, reserveMicro: full, shrunk: false };

  const floor = Math.min(req.minOutputTokens, req.maxOutputTokens);
  const fits = outputTokensThatFit(req, left);
  if (fits >= floor && fits >= 1) {
    const granted = Math.min(fits, req.maxOutputTokens);
    return { ok: true, maxOutputTokens: granted, reserveMicro: worstCaseMicro(req.inputUnits, req.outputUnits, req.estimatedInputTokens, granted), shrunk: true };
  }
  return {
    ok: false,
    scope: binding.scope,
    capMicro: binding.capMicro,
    spentMicro: binding.spentMicro,
    reservedMicro: binding.reservedMicro,
    neededMicro: worstCaseMicro(req.inputUnits, req.outputUnits, req.estimatedInputTokens, Math.max(1, floor)),
  };
}

/** The scope with the least room left (the first listed wins a tie). */
function tightest(scopes: readonly ScopeState[]): ScopeState | undefined {
  let best: ScopeState | undefined;
  for (const s of scopes) if (!best || remaining(s) < remaining(best)) best = s;
  return best;
}

function remaining(s: ScopeState): number {
  return s.capMicro - s.spentMicro - s.reservedMicro;
}

/** Largest n with worstCase(input, n) <= leftMicro, or -1 when not even the input fits. */
function outputTokensThatFit(req: FitRequest, leftMicro: number): number {
  if (leftMicro < 0) return -1;
  const room = BigInt(leftMicro) * PRICE_UNITS_PER_USD - BigInt(req.estimatedInputTokens) * req.inputUnits;
  if (room < 0n) return -1;
  if (req.outputUnits === 0n) return req.maxOutputTokens;
  const n = room / req.outputUnits;
  return n > BigInt(req.maxOutputTokens) ? req.maxOutputTokens : Number(n);
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be a whole number >= ${min}, got ${v}`);
}

/**
 * Whether the request would fit once the session's own requests in flight have settled (and spent
 * nothing): what they hold comes off every scope, the lease and the day and month caps as well as the
 * session's own.
 */
export function fitsOnceSettled(fit: FitRequest, scopes: readonly ScopeState[], sessionInFlight: number): boolean {
  return sessionInFlight > 0 && fitRequest(fit, scopes.map(sc => ({ ...sc, reservedMicro: Math.max(0, sc.reservedMicro - sessionInFlight) }))).ok;
}
