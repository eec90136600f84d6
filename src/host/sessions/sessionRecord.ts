// What is persisted for a session (session.json). SessionInfo is what the UI sees; the record adds what
// only the host needs. Usage and cost are not stored here: the ledger is their source of truth.
import type {
  AgentKind,
  ApprovalPolicy,
  Confinement,
  GuardState,
  SessionInfo,
  SessionStatus,
  Tier,
} from '../../protocol/types';

export interface SessionRecord {
  version: 1;
  id: string;
  title: string;
  task: string;
  role: string;
  model: string;
  tier: Tier;
  agent: AgentKind;
  command?: string;
  approval: ApprovalPolicy;
  budgetUsd: number | null;
  maxTurns: number;
  repo: string;
  baseBranch: string;
  baseCommit: string;
  branch: string;
  worktree: string;
  status: SessionStatus;
  statusReason?: string;
  createdAt: string;
  updatedAt: string;
  turns: number;
  summary?: string;
  confinement?: Confinement;
  confinementNote?: string;
  guard: GuardState;
  cacheBreaks: number;
  cacheBreakLossUsd: number;
  /** Process that runs the session's agent; another process sees the session but does not drive it. */
  owner?: { pid: number; hostId: string };
  /** The host that wrote this version of the record (a host ignores its own writes when it polls). */
  savedBy?: string;
  /** The user asked to keep the branch when the worktree was discarded. */
  branchKept?: boolean;
  /** Tier changes, in order (each is also a conversation message, so the prompt prefix stays stable). */
  tierHistory: { at: string; from: Tier; to: Tier; why: string }[];
}

export const INITIAL_GUARD: GuardState = { level: 'ok', spentSinceProgressUsd: 0, turnsSinceProgress: 0 };

export function parseRecord(text: string, file: string): SessionRecord {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new Error(`${file}: not a session record`);
  const r = value as Partial<SessionRecord>;
  for (const key of ['id', 'title', 'task', 'repo', 'branch', 'worktree', 'status'] as const) {
    if (typeof r[key] !== 'string') throw new Error(`${file}: missing "${key}"`);
  }
  return {
    ...(r as SessionRecord),
    guard: r.guard ?? INITIAL_GUARD,
    tierHistory: r.tierHistory ?? [],
    cacheBreaks: r.cacheBreaks ?? 0,
    cacheBreakLossUsd: r.cacheBreakLossUsd ?? 0,
    turns: r.turns ?? 0,
  };
}

export type SpendOfSession = Pick<
  SessionInfo,
  'usage' | 'costUsd' | 'costByTier' | 'unpricedRequests' | 'estimatedRequests' | 'priorityPremiumUsd'
>;

export function toInfo(r: SessionRecord, spend: SpendOfSession, queuePosition?: number): SessionInfo {
  return {
    id: r.id,
    title: r.title,
    task: r.task,
    role: r.role,
    model: r.model,
    tier: r.tier,
    agent: r.agent,
    command: r.command,
    approval: r.approval,
    budgetUsd: r.budgetUsd,
    repo: r.repo,
    baseBranch: r.baseBranch,
    baseCommit: r.baseCommit,
    branch: r.branch,
    worktree: r.worktree,
    status: r.status,
    statusReason: r.statusReason,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    queuePosition,
    ...spend,
    turns: r.turns,
    confinement: r.confinement,
    confinementNote: r.confinementNote,
    guard: r.guard,
    summary: r.summary,
    cacheBreaks: r.cacheBreaks,
    cacheBreakLossUsd: r.cacheBreakLossUsd,
  };
}
