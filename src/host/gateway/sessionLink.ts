// What the gateway needs from a session and tells it back. The session manager implements it; the gateway
// knows nothing of worktrees, agents or the UI.
import type { TraceTurn, UsageRecord } from '../../protocol/records';
import type { Tier } from '../../protocol/types';
import type { BudgetCaps } from '../budgets/budgetKeeper';
import type { GuardDecision } from '../guard/loopGuard';
import type { CacheReference } from './cacheInsight';

export type { BudgetCaps };

/** Why the gateway will not forward a session's requests right now. */
export interface Refusal {
  status: number;
  code: 'switchyard_session_paused' | 'switchyard_budget_exceeded' | 'switchyard_session_stuck' | 'switchyard_session_closed';
  message: string;
}

export interface CacheBreak {
  turn: number;
  segment: string;
  reason: string;
  lostUsd: number;
}

export interface GatewaySession {
  readonly id: string;
  readonly repo: string;
  readonly role: string;
  readonly model: string;
  tier(): Tier;
  caps(): BudgetCaps;
  /** Set when the session may not spend now (paused, stuck, over budget, closed). */
  refusal(): Refusal | undefined;
  /** A hash of the whole worktree, to tell turns that changed files from turns that did not. */
  fingerprint(): Promise<{ hash?: string; changed: string[] } | undefined>;
  onUsage(record: UsageRecord, cachedShare: number): void;
  onCacheBreak(b: CacheBreak): void;
  /** The last request's prompt, as the next one is judged against it: kept for a run in another process. */
  onCacheReference(ref: CacheReference): void;
  /** What onCacheReference last kept, in any process. */
  cacheReference(): CacheReference | undefined;
  /** A completed turn as the guard saw it (kept as the session's trace). */
  recordTurn(turn: TraceTurn): void;
  /** The number of the trace's last turn so far, in any process (0 for none). */
  tracedTurns(): number;
  /** The loop guard's decision after a completed turn; the session applies it (warn, downgrade, pause…). */
  onGuard(decision: GuardDecision): void;
  /** Its request waits for headroom held for requests in flight: other processes' (day, month) or its own (session). */
  onBudgetWait(message: string, scope: 'session' | 'day' | 'month'): void;
  /** Its request waits this long for the provider's rate-limit window, for the reason given. */
  onRateLimitWait(ms: number, reason: string): void;
  /** The model server has said nothing for `silentMs` since a request at `tier` went; it is waited for up to `limitMs`. */
  onUpstreamSilent(silentMs: number, limitMs: number, tier: Tier): void;
  /** Nothing fits in the budget: the session pauses as over-budget. `neededUsd`: what the refused request needed. */
  onOverBudget(message: string, scope: 'session' | 'day' | 'month', neededUsd?: number): void;
  /** A request for a model without a price went out under a dollar cap, which cannot hold it. */
  onUnpriced(model: string): void;
  /** A response was served at a tier the model has no price for: counted at its dearest price. */
  onTierUnpriced(model: string, tier: string): void;
  /** A note for the model to read once (the guard's nudge, the user's hint), until a request carried it. */
  pendingNudge(): string | undefined;
  /** A request carrying `nudge` was answered: it is not sent again. */
  nudgeDelivered(nudge: string): void;
}
