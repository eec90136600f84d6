// What is persisted for a session (session.json): what the UI sees, minus what is derived (spend comes
// from the ledger, the queue position from the scheduler), plus what only the host needs.
import type { GuardState, SessionInfo, SessionStatus, StatusCause, Tier } from '../../protocol/types';
import { isCacheReference, type CacheReference } from '../gateway/cacheInsight';
import { isProcessIdentity, type ProcessIdentity } from '../util/fileLock';
import { safeFolder } from './workFolder';

export type SpendOfSession = Pick<
  SessionInfo,
  'usage' | 'costUsd' | 'costByTier' | 'unpricedRequests' | 'estimatedRequests' | 'priorityPremiumUsd'
>;

export interface SessionRecord extends Omit<SessionInfo, keyof SpendOfSession | 'queuePosition'> {
  version: 1;
  maxTurns: number;
  /**
   * Process that runs the session's agent; another process sees the session but does not drive it.
   * `host` and `start` (its machine and start time; absent in older records) tell a process that ended
   * from a reused pid, and a process on another machine sharing the home from one that ended; `pidNs` (Linux),
   * whether its pid means anything here at all (a sandboxed editor has a PID namespace of its own). `beats`: its
   * host keeps a heartbeat (util/heartbeats.ts), which tells them apart where the start time cannot.
   */
  owner?: { pid: number; hostId: string; host?: string; start?: string | null; pidNs?: string; beats?: boolean };
  /**
   * An external agent's process (command or Codex), or the command the built-in agent is running: the
   * leader of its process group, while it runs. If its host is killed, the group ends within its grace
   * period (util/lifeline.ts); a host that takes the session over meanwhile waits for that
   * (ForeignOwner.whileFree), so no second agent starts beside it.
   */
  agentProcess?: ProcessIdentity;
  /** The host that wrote this version of the record (a host ignores its own writes when it polls). */
  savedBy?: string;
  /**
   * How many times the record was saved, by any process (absent in older records): which of two versions is
   * the newer, whatever the clocks of the machines sharing the home say (isNewer).
   */
  rev?: number;
  /**
   * How many times it was resumed, by any process (absent: none): a resume asked before another one ran
   * the session is not carried out after that run (resumeSession.ts).
   */
  resumes?: number;
  /** The user asked to keep the branch when the worktree was discarded. */
  branchKept?: boolean;
  /** Merged, with the worktree left in place (see SessionInfo). */
  worktreeKept?: boolean;
  /** Tier changes, in order (each is also a conversation message, so the prompt prefix stays stable). */
  tierHistory: { at: string; from: Tier; to: Tier; why: string }[];
  /** The trace's last turn number (absent: none yet, or an older record): a run in another process numbers on from it. */
  tracedTurns?: number;
  /** The trace's turn the loop guard judged last: `guard` is where it stood after it. */
  guardTurn?: number;
  /** The last request's prompt as cache insight judges the next against it (gateway/cacheInsight.ts). */
  cacheReference?: CacheReference;
}

/** Every status, kept complete by its type: a record naming another was edited into something no code knows. */
const STATUS_SET: Record<SessionStatus, true> = {
  queued: true, running: true, waiting: true, paused: true, stuck: true, 'over-budget': true, done: true, failed: true, stopped: true, merged: true, discarded: true,
};
const STATUSES = Object.keys(STATUS_SET);

export const INITIAL_GUARD: GuardState = { level: 'ok', spentSinceProgressUsd: 0, turnsSinceProgress: 0 };

export function parseRecord(text: string, file: string): SessionRecord {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new Error(`${file}: not a session record`);
  const r = value as Partial<SessionRecord>;
  for (const key of ['id', 'title', 'task', 'repo', 'branch', 'worktree', 'status'] as const) {
    if (typeof r[key] !== 'string') throw new Error(`${file}: missing "${key}"`);
  }
  // Edited by hand into something no code path knows: said, not acted on (a budget of "abc" would have
  // a resume retry a check that can never pass).
  if (!(STATUSES as readonly string[]).includes(r.status!)) throw new Error(`${file}: "status" is ${JSON.stringify(r.status)}, which is no session status`);
  // $0 is a budget (one raised to nothing, or an older role's): the session is over budget, not unreadable.
  if (r.budgetUsd !== undefined && r.budgetUsd !== null && !(typeof r.budgetUsd === 'number' && Number.isFinite(r.budgetUsd) && r.budgetUsd >= 0)) {
    throw new Error(`${file}: "budgetUsd" is ${JSON.stringify(r.budgetUsd)}, not a number of dollars (0 or more, or null for none)`);
  }
  return {
    ...(r as SessionRecord),
    guard: r.guard ?? INITIAL_GUARD,
    tierHistory: r.tierHistory ?? [],
    cacheBreaks: r.cacheBreaks ?? 0,
    cacheBreakLossUsd: r.cacheBreakLossUsd ?? 0,
    turns: r.turns ?? 0,
    // Edited by hand into something else, it names no process to wait for.
    agentProcess: isProcessIdentity(r.agentProcess) ? r.agentProcess : undefined,
    rev: Number.isSafeInteger(r.rev) ? r.rev : undefined,
    resumes: Number.isSafeInteger(r.resumes) ? r.resumes : undefined,
    cacheReference: isCacheReference(r.cacheReference) ? r.cacheReference : undefined,
    // Edited by hand into a path out of the repository, it is not used.
    folder: safeFolder(r.folder),
    overBudgetNeedUsd: typeof r.overBudgetNeedUsd === 'number' && Number.isFinite(r.overBudgetNeedUsd) && r.overBudgetNeedUsd > 0 ? r.overBudgetNeedUsd : undefined,
  };
}

/**
 * Sets a record's status, why, and which limit it comes from (any other status clears what an over-budget
 * one kept); false when it was already so, and nothing changed.
 */
export function setRecordStatus(r: SessionRecord, status: SessionStatus, reason?: string, cause?: StatusCause): boolean {
  if (r.status === status && r.statusReason === reason && r.statusCause === cause) return false;
  r.status = status;
  r.statusReason = reason;
  r.statusCause = cause;
  if (status !== 'over-budget') r.overBudgetNeedUsd = undefined;
  r.statusAt = new Date().toISOString();
  return true;
}

/** `a` is a later version of the record than `b`: by its count of saves, then (both equal, or older records) by its time. */
export function isNewer(a: SessionRecord, b: SessionRecord): boolean {
  const [ra, rb] = [a.rev ?? 0, b.rev ?? 0];
  return ra !== rb ? ra > rb : a.updatedAt > b.updatedAt;
}

/** `runsHere`: the process that sends it runs the session now (its run under way, or about to start). */
export function toInfo(r: SessionRecord, spend: SpendOfSession, queuePosition?: number, runsHere = false): SessionInfo {
  const { version: _v, maxTurns: _m, owner: _o, agentProcess: _a, savedBy: _s, rev: _r, resumes: _u, branchKept: _b, tierHistory: _t, cacheReference: _c, tracedTurns: _n, guardTurn: _g, ...shown } = r;
  return { ...shown, queuePosition, ...spend, ...(runsHere ? { runsHere: true as const } : {}) };
}
