// The loop detectors. Each is a pure function of the turn history (the current turn last) and the
// thresholds; it returns a signal only while the loop is still going on at the current turn.
import { touchesAny, truncate } from './normalize';
import type { LoopGuardSettings } from './settings';
import { sinceLastProgress, type CallFacts, type TurnFacts } from './turnFacts';

export type SignalKind = 'repeated-call' | 'repeated-error' | 'alternation' | 'no-progress' | 'same-failure' | 'text-loop';

export interface Signal {
  kind: SignalKind;
  /** How far past its threshold the signal is: 1 at the threshold. */
  strength: number;
  /** What the guard saw, in words a person understands. */
  reason: string;
}

export type Detector = (history: readonly TurnFacts[], settings: LoopGuardSettings) => Signal | null;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const usd = (n: number): string => `$${n.toFixed(2)}`;

/** The same call (name and canonical arguments) again and again with nothing changed in between. */
export const repeatedCall: Detector = (history, s) => {
  const current = history.at(-1);
  if (!current) return null;
  const recent = sinceLastProgress(history).slice(-s.window);
  let best: { call: CallFacts; count: number; inARow: number } | undefined;
  for (const call of current.calls) {
    const count = recent.filter(t => t.calls.some(c => c.key === call.key)).length;
    let inARow = 0;
    for (let i = recent.length - 1; i >= 0 && recent[i]!.calls.some(c => c.key === call.key); i--) inARow++;
    if (!best || count > best.count) best = { call, count, inARow };
  }
  if (!best || best.count < s.repeatedCall) return null;
  const when = best.inARow === best.count ? 'in a row' : `in the last ${plural(recent.length, 'turn')}`;
  return {
    kind: 'repeated-call',
    strength: best.count / s.repeatedCall,
    reason: `${best.call.label} called ${best.count} times ${when}, with no change to the worktree in between`,
  };
};

/** The same error output (normalised) again, with nothing changed in between. */
export const repeatedError: Detector = (history, s) => {
  const current = history.at(-1);
  if (!current) return null;
  const recent = sinceLastProgress(history);
  let best: { call: CallFacts; count: number } | undefined;
  for (const call of current.calls) {
    if (!call.errorKey) continue;
    const count = recent.filter(t => t.calls.some(c => c.errorKey === call.errorKey)).length;
    if (!best || count > best.count) best = { call, count };
  }
  if (!best || best.count < s.repeatedError) return null;
  return {
    kind: 'repeated-error',
    strength: best.count / s.repeatedError,
    reason: `The same error ${best.count} times with nothing changed in between: "${best.call.headline}"`,
  };
};

/** A-B-A-B: the same two turns in alternation, or the worktree flipping between two states. */
export const alternation: Detector = (history, s) => {
  const actions = alternatingRun(history.map(t => t.actionKey));
  if (actions >= s.alternation) {
    const [a, b] = [history.at(-2)!, history.at(-1)!];
    return {
      kind: 'alternation',
      strength: actions / s.alternation,
      // The same call with other arguments (writing a file back and forth) reads the same in a label.
      reason: a.actionLabel === b.actionLabel
        ? `Repeating ${a.actionLabel} with two alternating versions for ${actions} turns`
        : `Alternating between ${a.actionLabel} and ${b.actionLabel} for ${actions} turns`,
    };
  }
  const states: { key: string; index: number }[] = [];
  const start = Math.max(0, history.length - 3 * s.window);
  for (let i = start; i < history.length; i++) {
    const t = history[i]!;
    const key = t.worktreeHash ?? t.changeKey;
    if (key && states.at(-1)?.key !== key) states.push({ key, index: i });
  }
  const run = alternatingRun(states.map(x => x.key));
  // Still looping only while the flip-flop is what the agent is doing now (the last flip is at most a
  // turn old); moving on without a new state lets the signal go.
  if (run < s.alternation || history.length - 1 - states.at(-1)!.index > 1) return null;
  const files = new Set(states.slice(-run).flatMap(x => history[x.index]!.changed));
  return {
    kind: 'alternation',
    strength: run / s.alternation,
    reason: `Edits to ${truncate([...files].join(', ') || 'the worktree', 80)} undone and redone: the worktree went back and forth between the same two states over ${run} changes`,
  };
};

/** Length of the A-B-A-B run (A ≠ B) that ends the sequence; 0 when the last two are equal. */
function alternatingRun(keys: readonly string[]): number {
  const n = keys.length;
  if (n < 2 || keys[n - 1] === keys[n - 2]) return 0;
  let run = 2;
  while (run < n && keys[n - 1 - run] === keys[n - 1 - run + 2]) run++;
  return run;
}

/** Turns that spend tokens and change nothing: revisiting what was seen, too many turns, or too many dollars. */
export const noProgress: Detector = (history, s) => {
  const current = history.at(-1);
  if (!current || current.progress) return null;
  const recent = sinceLastProgress(history);
  const idle = recent.filter(t => !t.explores).length;
  const spent = recent.reduce((sum, t) => sum + t.costUsd, 0);
  const candidates: Signal[] = [];
  if (!current.explores && idle >= s.noProgressTurns) {
    candidates.push({
      kind: 'no-progress',
      strength: idle / s.noProgressTurns,
      reason: `${plural(idle, 'turn')} went back over files and commands already seen, and no file changed (${usd(spent)} since the last change)`,
    });
  }
  if (recent.length >= s.exploreTurns) {
    candidates.push({
      kind: 'no-progress',
      strength: recent.length / s.exploreTurns,
      reason: `${plural(recent.length, 'turn')} without changing any file (${usd(spent)} spent)`,
    });
  }
  if (spent >= s.noProgressUsd) {
    candidates.push({
      kind: 'no-progress',
      strength: spent / s.noProgressUsd,
      reason: `${usd(spent)} spent over ${plural(recent.length, 'turn')} since the last file change (limit ${usd(s.noProgressUsd)})`,
    });
  }
  return candidates.sort((a, b) => b.strength - a.strength)[0] ?? null;
};

/**
 * The same command failure again and again, with edits in between that do not touch what fails (the
 * files the failure names, or their tests/sources). A failure that names no project file cannot be
 * tied to an edit, so any edit counts as an attempt at it: the guard would rather miss than nag.
 */
export const sameFailure: Detector = (history, s) => {
  const horizon = history.slice(-3 * s.window);
  let latest: { call: CallFacts; index: number } | undefined;
  for (let i = horizon.length - 1; i >= 0 && !latest; i--) {
    const call = horizon[i]!.calls.findLast(c => c.command && c.failureKey);
    if (call) latest = { call, index: i };
  }
  if (!latest || horizon.length - 1 - latest.index > s.window) return null;
  const { call: failing, index: latestIndex } = latest;
  const key = failing.failureKey!;
  const occurrences = horizon.flatMap((t, i) => (t.calls.some(c => c.failureKey === key) ? [i] : []));
  const mentioned = [...new Set(occurrences.flatMap(i => horizon[i]!.calls.filter(c => c.failureKey === key).flatMap(c => c.failingPaths)))];
  const related = (files: readonly string[]): boolean => mentioned.length === 0 || files.some(f => touchesAny(f, mentioned));
  // What the agent edited: a failing command that rewrites its own report each run is no attempt at a fix.
  const changedIn = (from: number, to: number): string[] => horizon.slice(from, to + 1).flatMap(t => t.edited);
  const passedIn = (from: number, to: number): boolean =>
    horizon.slice(from, to + 1).some(t => t.calls.some(c => c.command === failing.command && !c.failed));

  // Edits since the latest failure that go at what fails mean the agent is working on it; so do edits to
  // many files not edited in the other rounds, work of its own (a migration past a test that was already
  // failing), not an attempt at the failure.
  const after = changedIn(latestIndex + 1, horizon.length - 1);
  const roundsOf = new Map<string, number>();
  for (const round of [after, ...occurrences.slice(1).map((next, k) => changedIn(occurrences[k]! + 1, next))]) {
    for (const f of new Set(round)) roundsOf.set(f, (roundsOf.get(f) ?? 0) + 1);
  }
  const otherWork = (edited: readonly string[]) => new Set(edited.filter(f => roundsOf.get(f) === 1)).size >= OTHER_WORK_FILES;
  if (after.length && (related(after) || otherWork(after))) return null;

  let rounds = 1;
  const unrelated = new Set<string>(after);
  for (let k = occurrences.length - 1; k > 0; k--) {
    const [prev, next] = [occurrences[k - 1]!, occurrences[k]!];
    if (passedIn(prev + 1, next)) break;
    const between = changedIn(prev + 1, next);
    if (!between.length) continue;
    if (related(between) || otherWork(between)) break;
    between.forEach(f => unrelated.add(f));
    rounds++;
  }
  if (rounds < s.sameFailure) return null;
  const where = mentioned.length ? ` (it names ${truncate(mentioned.slice(0, 3).join(', '), 70)})` : '';
  return {
    kind: 'same-failure',
    strength: rounds / s.sameFailure,
    reason: `"${failing.headline}" failed the same way ${rounds} times, after edits to ${truncate([...unrelated].join(', '), 70)} that do not touch what fails${where}`,
  };
};

/**
 * A round of edits (between two runs of the failing command) that reaches this many files no other round
 * edits is other work going on past the failure. An attempt at a failure it cannot tie to its cause edits
 * a file or two (a config, a declaration), and comes back to them.
 */
const OTHER_WORK_FILES = 3;

/** The model writing the same paragraph again and again (across turns or within one). */
export const textLoop: Detector = (history, s) => {
  const current = history.at(-1);
  if (!current?.paragraphs.length) return null;
  const recent = sinceLastProgress(history).slice(-s.window);
  let best: { text: string; count: number } | undefined;
  for (const p of new Map(current.paragraphs.map(x => [x.key, x])).values()) {
    const count = recent.reduce((n, t) => n + t.paragraphs.filter(x => x.key === p.key).length, 0);
    if (!best || count > best.count) best = { text: p.text, count };
  }
  if (!best || best.count < s.textLoop) return null;
  return {
    kind: 'text-loop',
    strength: best.count / s.textLoop,
    reason: `The model wrote the same paragraph ${best.count} times: "${truncate(best.text, 90)}"`,
  };
};

/** Every detector, most specific first: on equal strength the earlier one explains the loop best. */
export const DETECTORS: readonly Detector[] = [sameFailure, repeatedError, alternation, repeatedCall, textLoop, noProgress];

export function detectSignals(history: readonly TurnFacts[], settings: LoopGuardSettings): Signal[] {
  return DETECTORS.map(d => d(history, settings)).filter((x): x is Signal => x !== null);
}

/** The signal that best explains the loop: the strongest, the more specific on a tie. */
export function strongestSignal(signals: readonly Signal[]): Signal | undefined {
  return signals.reduce<Signal | undefined>((best, x) => (!best || x.strength > best.strength ? x : best), undefined);
}
