// `switchyard replay`: run the guard over a recorded trace and say, turn by turn, what it would do.
import type { TraceTurn } from '../../protocol/records';
import type { GuardLevel, Tier } from '../../protocol/types';
import { LoopGuard, type GuardAction, type GuardDecision, type LoopGuardOptions } from './loopGuard';
import type { LoopGuardSettings } from './settings';
import type { SignalKind } from './signals';

export interface ReplayTurn {
  turn: number;
  level: GuardLevel;
  action: GuardAction;
  reason?: string;
  signal?: SignalKind;
  costUsd: number;
  spentSinceProgressUsd: number;
  turnsSinceProgress: number;
}

export type ReplayVerdict = { result: 'ok' } | { result: 'pause' | 'stop'; turn: number; reason: string };

export interface ReplayResult {
  /** The turns up to and including the one where the guard paused or stopped. */
  turns: ReplayTurn[];
  verdict: ReplayVerdict;
  /** Turns of the trace after the verdict: a guarded session would not have run them. */
  unreached: number;
  /** What those turns cost in the recording. */
  unreachedUsd: number;
}

export function replay(
  turns: readonly TraceTurn[],
  settings: Partial<LoopGuardSettings> = {},
  options: { headless: boolean; tier?: Tier } = { headless: false },
): ReplayResult {
  const { guard, tier } = guardFor(turns, settings, options);
  const out: ReplayTurn[] = [];
  let i = -1;
  for (const d of judged(guard, turns, tier)) {
    const turn = turns[++i]!;
    const row: ReplayTurn = {
      turn: turn.turn,
      level: d.level,
      action: d.action,
      costUsd: turn.costUsd ?? 0,
      spentSinceProgressUsd: d.spentSinceProgressUsd,
      turnsSinceProgress: d.turnsSinceProgress,
    };
    if (d.reason && d.level !== 'ok') row.reason = d.reason;
    if (d.signal) row.signal = d.signal.kind;
    out.push(row);
    if (d.action === 'pause' || d.action === 'stop') {
      const rest = turns.slice(i + 1);
      return {
        turns: out,
        verdict: { result: d.action, turn: turn.turn, reason: d.reason ?? '' },
        unreached: rest.length,
        unreachedUsd: rest.reduce((sum, t) => sum + (t.costUsd ?? 0), 0),
      };
    }
  }
  return { turns: out, verdict: { result: 'ok' }, unreached: 0, unreachedUsd: 0 };
}

/** Where the live guard stood when the session's record was last saved: its turns up to `upTo`, judged. */
export interface SavedGuard {
  upTo: number;
  agrees(guard: LoopGuard): boolean;
}

/**
 * A guard that has judged `turns` as the live one did: a session's guard, rebuilt in another process.
 * With `saved`, undefined unless the guard agrees with it once the turns up to its save are judged; the
 * turns after (judged by a process that ended before its next save) are judged on from there.
 */
export function guardAfter(turns: readonly TraceTurn[], settings: Partial<LoopGuardSettings>, options: LoopGuardOptions, saved?: SavedGuard): LoopGuard | undefined {
  const { guard, tier } = guardFor(turns, settings, options);
  let unchecked = saved;
  const steps = judged(guard, turns, tier);
  for (const turn of turns) {
    if (unchecked && turn.turn > unchecked.upTo) {
      if (!unchecked.agrees(guard)) return undefined;
      unchecked = undefined;
    }
    steps.next();
  }
  return !unchecked || unchecked.agrees(guard) ? guard : undefined;
}

/** The tier the session started at decides the guard's steps (flex has no cheaper tier to move to). */
function guardFor(turns: readonly TraceTurn[], settings: Partial<LoopGuardSettings>, options: LoopGuardOptions): { guard: LoopGuard; tier: Tier } {
  const tier = options.tier ?? turns[0]?.tier ?? 'standard';
  return { guard: new LoopGuard(settings, { ...options, tier }), tier };
}

/**
 * Each turn's decision, in order. A recorded tier that moves from one turn to the next, other than by the
 * guard's own step, is the user's change, which the live guard was told of.
 */
function* judged(guard: LoopGuard, turns: readonly TraceTurn[], tier: Tier): Generator<GuardDecision> {
  let recorded = turns[0]?.tier;
  for (const turn of turns) {
    if (turn.tier && turn.tier !== recorded && turn.tier !== tier) guard.tierChanged((tier = turn.tier));
    recorded = turn.tier ?? recorded;
    const d = guard.observe(turn);
    if (d.downgradeTo) tier = d.downgradeTo;
    yield d;
  }
}

const usd = (n: number): string => `$${n.toFixed(2)}`;
const stalled = (t: ReplayTurn): string =>
  `${usd(t.spentSinceProgressUsd)} over ${t.turnsSinceProgress} turn${t.turnsSinceProgress === 1 ? '' : 's'} without progress`;

/** One line per turn, then the verdict: what `switchyard replay` prints without --json. */
export function formatReplay(result: ReplayResult): string {
  const lines = result.turns.map(t => {
    const head = `turn ${String(t.turn).padStart(3)}  ${t.level.padEnd(9)} ${t.action.padEnd(9)} $${t.costUsd.toFixed(3)}`;
    return t.reason ? `${head}  ${t.reason} [${stalled(t)}]` : head;
  });
  const v = result.verdict;
  const last = result.turns.at(-1);
  if (v.result === 'ok' || !last) {
    lines.push('verdict: ok (the guard would not pause or stop this session)');
  } else {
    const skipped = result.unreached
      ? `; ${result.unreached} later turn${result.unreached === 1 ? '' : 's'} (${usd(result.unreachedUsd)}) would not have run`
      : '';
    lines.push(`verdict: ${v.result} at turn ${v.turn} after ${stalled(last)}${skipped}`, `  ${v.reason}`);
  }
  return lines.join('\n');
}
