// One session's loop guard: turns in, one decision out per turn, escalating
// warn → downgrade the tier → pause as stuck → stop.
import type { TraceTurn } from '../../protocol/records';
import type { GuardLevel, GuardState, Tier } from '../../protocol/types';
import { nudgeFor, reasons } from './messages';
import { resolveGuardSettings, type LoopGuardSettings } from './settings';
import { detectSignals, strongestSignal, type Signal } from './signals';
import { analyzeTurn, type TurnFacts } from './turnFacts';

export type GuardAction = 'none' | 'nudge' | 'downgrade' | 'pause' | 'stop';

export interface GuardDecision {
  turn: number;
  level: GuardLevel;
  /** What the caller must do now: inject `nudge`, lower the tier to `downgradeTo`, pause as stuck, or stop. */
  action: GuardAction;
  signal?: Signal;
  /** Every signal that fired on this turn (the strongest is `signal`). */
  signals?: Signal[];
  reason?: string;
  /** Text to inject once into the conversation (with action 'nudge'). */
  nudge?: string;
  downgradeTo?: Tier;
  /** With 'stop': looping again after a resume, the session ends as stopped (still resumable, by a person). */
  final?: true;
  spentSinceProgressUsd: number;
  turnsSinceProgress: number;
}

export interface LoopGuardOptions {
  /** No one can answer a pause (CLI in CI, scripted fleets): go from warn straight to stop. */
  headless: boolean;
  /** The session's tier when the guard starts; a downgrade from flex is skipped. */
  tier?: Tier;
}

const LOWER_TIER: Record<Tier, Tier | undefined> = { priority: 'standard', standard: 'flex', flex: undefined };
// Enough for every window a detector looks at, so a long session holds bounded memory.
const HISTORY_LIMIT = 256;

export class LoopGuard {
  private readonly settings: LoopGuardSettings;
  private readonly headless: boolean;
  private tier: Tier;
  private history: TurnFacts[] = [];
  /** Turns observed so far, and the first of them the detectors may look at (moved by a resume). */
  private observed = 0;
  private detectFrom = 0;
  private stage: GuardLevel = 'ok';
  /** Looping turns since the last escalation step. */
  private streak = 0;
  private nudged = false;
  private resumedWith: { hint?: string } | undefined;
  private reason: string | undefined;
  private spentSinceProgressUsd = 0;
  private turnsSinceProgress = 0;

  constructor(settings: Partial<LoopGuardSettings> = {}, options: LoopGuardOptions = { headless: false }) {
    this.settings = resolveGuardSettings(settings);
    this.headless = options.headless;
    this.tier = options.tier ?? 'standard';
  }

  get state(): GuardState {
    const state: GuardState = {
      level: this.visibleLevel(),
      spentSinceProgressUsd: this.spentSinceProgressUsd,
      turnsSinceProgress: this.turnsSinceProgress,
    };
    if (this.reason) state.reason = this.reason;
    return state;
  }

  /** The user (or a policy) changed the session's tier; the next downgrade starts from it. */
  tierChanged(tier: Tier): void {
    this.tier = tier;
  }

  /** Judge one completed turn. Call once per turn, in order. */
  observe(turn: TraceTurn): GuardDecision {
    const facts = analyzeTurn(turn, this.history, this.settings);
    this.remember(facts);
    // A turn that was already under way when the guard paused or stopped changes nothing.
    const held = this.stage === 'pause' || this.stage === 'stop';
    const signals = held || !this.settings.enabled ? [] : detectSignals(this.detectionView(), this.settings);
    const signal = strongestSignal(signals);
    // A change made while a loop signal fires (an edit to files the failure does not name) is part
    // of the loop, not progress: the money keeps counting.
    const progress = facts.progress && !signal;
    if (progress) {
      this.spentSinceProgressUsd = 0;
      this.turnsSinceProgress = 0;
    } else {
      this.spentSinceProgressUsd += facts.costUsd;
      this.turnsSinceProgress++;
    }
    // Held as it was decided: a stop after a resume stays final.
    if (held) return this.stage === 'stop' ? { ...this.decide(turn.turn, 'stop'), ...(this.resumedWith ? { final: true as const } : {}) } : this.decide(turn.turn, 'pause');
    if (!signal) {
      if (progress) this.decay();
      return this.decide(turn.turn, 'none');
    }
    return { ...this.escalate(turn.turn, signal), signals };
  }

  /** The turns detectors may look at: those since the last resume (the history is capped). */
  private detectionView(): TurnFacts[] {
    return this.history.slice(Math.max(0, this.history.length - (this.observed - this.detectFrom)));
  }

  /**
   * The user resumed a paused or stopped session, perhaps with a hint (which the caller injects into the
   * conversation). Detection starts afresh from the next turn; if it loops again, it stops. A stop is
   * resumed as a pause is: headless, it stands in for the pause nobody could answer, and going on from it
   * with the whole allowance again would pay for the same loop twice.
   */
  resume(hint?: string): void {
    if (this.stage !== 'pause' && this.stage !== 'stop') return;
    this.stage = 'ok';
    this.streak = 0;
    this.detectFrom = this.observed;
    this.resumedWith = hint === undefined ? {} : { hint };
    this.reason = reasons.resumed(hint);
  }

  private remember(facts: TurnFacts): void {
    this.history.push(facts);
    this.observed++;
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
  }

  /** Real progress with nothing looping: one step back down, and a clean slate once back at ok. */
  private decay(): void {
    this.streak = 0;
    this.resumedWith = undefined;
    if (this.stage === 'downgrade') this.stage = 'warn';
    else if (this.stage === 'warn') this.stage = 'ok';
    if (this.stage === 'ok') {
      this.nudged = false;
      this.reason = undefined;
    }
  }

  private escalate(turn: number, signal: Signal): GuardDecision {
    if (this.resumedWith) {
      this.stage = 'stop';
      this.reason = reasons.stopAfterResume(signal, this.resumedWith.hint);
      return { ...this.decide(turn, 'stop', signal), final: true };
    }
    if (this.stage === 'ok') {
      this.stage = 'warn';
      this.streak = 0;
      this.reason = reasons.warn(signal);
      const first = !this.nudged;
      this.nudged = true;
      return first ? { ...this.decide(turn, 'nudge', signal), nudge: nudgeFor(signal) } : this.decide(turn, 'none', signal);
    }
    this.streak++;
    if (this.streak < this.settings.escalateAfter) {
      this.reason = reasons.warn(signal);
      return this.decide(turn, 'none', signal);
    }
    this.streak = 0;
    const lower = LOWER_TIER[this.tier];
    if (this.stage === 'warn' && lower) {
      this.stage = 'downgrade';
      if (this.headless) {
        // No tier change headless: the step only marks where an interactive run would downgrade.
        this.reason = reasons.warn(signal);
        return this.decide(turn, 'none', signal);
      }
      this.reason = reasons.downgrade(signal, this.tier, lower);
      this.tier = lower;
      return { ...this.decide(turn, 'downgrade', signal), downgradeTo: lower };
    }
    if (this.headless) {
      this.stage = 'stop';
      this.reason = reasons.headlessStop(signal);
      return this.decide(turn, 'stop', signal);
    }
    this.stage = 'pause';
    this.reason = reasons.pause(signal);
    return this.decide(turn, 'pause', signal);
  }

  private visibleLevel(): GuardLevel {
    return this.headless && this.stage === 'downgrade' ? 'warn' : this.stage;
  }

  private decide(turn: number, action: GuardAction, signal?: Signal): GuardDecision {
    const decision: GuardDecision = {
      turn,
      level: this.visibleLevel(),
      action,
      spentSinceProgressUsd: this.spentSinceProgressUsd,
      turnsSinceProgress: this.turnsSinceProgress,
    };
    if (signal) decision.signal = signal;
    // Cleared when the level decays back to ok, so a reason is always the current one.
    if (this.reason) decision.reason = this.reason;
    return decision;
  }
}
