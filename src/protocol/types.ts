// Domain types shared by the host, the extension, the CLI and the webviews.
// Plain data only: everything here crosses a process or a webview boundary as JSON.

/** The tier a user chooses. Sent to the API as `service_tier` (standard is the API's `default`). */
export type Tier = 'priority' | 'standard' | 'flex';
export const TIERS: readonly Tier[] = ['priority', 'standard', 'flex'];

/** The tier a response says it was served at; cost follows this one. */
export type ServedTier = Tier | 'unknown';

export type SessionStatus =
  | 'queued'
  | 'running'
  | 'waiting'
  | 'paused'
  | 'stuck'
  | 'over-budget'
  | 'done'
  | 'failed'
  | 'stopped'
  | 'merged'
  | 'discarded';

/** Statuses in which the session's agent may be making requests. */
export const ACTIVE_STATUSES: readonly SessionStatus[] = ['queued', 'running', 'waiting'];
/** Statuses from which a session can be resumed. */
export const RESUMABLE_STATUSES: readonly SessionStatus[] = ['paused', 'stuck', 'over-budget', 'failed', 'stopped'];
/** Statuses in which a session runs or may run again: its tier and budget can still matter. */
export const RUNNABLE_STATUSES: readonly SessionStatus[] = [...ACTIVE_STATUSES, ...RESUMABLE_STATUSES];
/** Statuses a session can be stopped from: its agent runs, or could be resumed. */
export const STOPPABLE_STATUSES: readonly SessionStatus[] = [...ACTIVE_STATUSES, 'paused', 'stuck', 'over-budget'];
/** Statuses whose work can be merged back (the worktree may hold more, uncommitted). */
export const MERGEABLE_STATUSES: readonly SessionStatus[] = ['done', ...RESUMABLE_STATUSES];
/** Statuses after which the worktree is gone. */
export const CLOSED_STATUSES: readonly SessionStatus[] = ['merged', 'discarded'];
/** Statuses with a worktree to review, open or discard. */
export const OPEN_STATUSES: readonly SessionStatus[] = [...STOPPABLE_STATUSES, 'done', 'failed', 'stopped'];

export type AgentKind = 'builtin' | 'codex' | 'command';
export type ApprovalPolicy = 'auto' | 'ask' | 'read-only';
export type Confinement = 'sandboxed' | 'asking' | 'unconfined' | 'read-only';
export type MergeStrategy = 'merge' | 'squash' | 'rebase';

export interface UsageTotals {
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  requests: number;
}

export const ZERO_USAGE: UsageTotals = { input: 0, cached: 0, cacheWrite: 0, output: 0, reasoning: 0, requests: 0 };

export type CostByTier = Record<ServedTier, number>;

export type GuardLevel = 'ok' | 'warn' | 'downgrade' | 'pause' | 'stop';

export interface GuardState {
  level: GuardLevel;
  reason?: string;
  /** Dollars spent since the last sign of progress (a change in the worktree). */
  spentSinceProgressUsd: number;
  turnsSinceProgress: number;
}

/**
 * `untrusted`: paused because the workspace was in Restricted Mode; resumed when it is trusted. `api-key`:
 * failed because the model server refused the API key (401), which a new key mends.
 */
export type StatusCause = 'session-budget' | 'day-budget' | 'month-budget' | 'turn-limit' | 'untrusted' | 'api-key';

export interface SessionInfo {
  id: string;
  title: string;
  task: string;
  role: string;
  model: string;
  tier: Tier;
  agent: AgentKind;
  command?: string;
  approval: ApprovalPolicy;
  /** Per-session cap in USD; null means only the day and month caps apply. */
  budgetUsd: number | null;
  /**
   * The model API it last ran against ('' is OpenAI; absent in older records): a CLI resume goes on there,
   * not at whatever OPENAI_BASE_URL says, which could send a local model's session to OpenAI.
   */
  baseURL?: string;
  repo: string;
  /**
   * The folder of the repository the user started it from, when below its root ('/' separators, relative
   * to the root): the built-in agent and Codex are told of it; a command agent starts in it.
   */
  folder?: string;
  baseBranch: string;
  baseCommit: string;
  branch: string;
  worktree: string;
  /** Merged, with its worktree left in place (it held work found nowhere else, or could not be removed): Discard removes it. */
  worktreeKept?: boolean;
  status: SessionStatus;
  /** Why the session is in its status, in words a person understands. */
  statusReason?: string;
  /** Which limit put it there, where the way on depends on it (which cap to raise, more turns, trust). */
  statusCause?: StatusCause;
  /**
   * Over budget: what the request its cap refused needed (USD). Its next one resends at least as much, so it
   * goes on only with that much left under the cap (resumeSession.ts).
   */
  overBudgetNeedUsd?: number;
  /** When it came to this status (records older than this field have none). */
  statusAt?: string;
  createdAt: string;
  updatedAt: string;
  /** Position in the run queue while queued (1 = next). */
  queuePosition?: number;
  /** The host that sent this runs it now (absent: another window or CLI run does, or nothing does). */
  runsHere?: true;
  usage: UsageTotals;
  /** Cost of the priced requests. */
  costUsd: number;
  costByTier: CostByTier;
  /** Requests whose model had no price: counted in tokens, never as $0. */
  unpricedRequests: number;
  /** Requests charged from an estimate: usage that never came or could not be read, or a tier without a price. */
  estimatedRequests: number;
  /** What priority cost beyond the same usage at standard. */
  priorityPremiumUsd: number;
  turns: number;
  confinement?: Confinement;
  confinementNote?: string;
  guard: GuardState;
  summary?: string;
  /** Dollars lost to cache breaks (input billed uncached that the previous prefix could have cached). */
  cacheBreakLossUsd: number;
  cacheBreaks: number;
}

export interface ChangedFile {
  path: string;
  status: 'added' | 'modified' | 'deleted' | 'renamed';
  oldPath?: string;
}
