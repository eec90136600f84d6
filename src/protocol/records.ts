// Records that are persisted (ledger, transcripts, traces) and also shown in the UI.
import type { GuardLevel, ServedTier, SessionStatus, Tier } from './types';

/** One upstream response, as the ledger keeps it. Field names are the on-disk format: keep them stable. */
export interface UsageRecord {
  /** Unique id of this record (used to detect doubles across processes). */
  id: string;
  /** ISO time the response finished. */
  ts: string;
  sessionId: string;
  repo: string;
  role: string;
  model: string;
  requestedTier: Tier;
  servedTier: ServedTier;
  input: number;
  cached: number;
  cacheWrite: number;
  output: number;
  reasoning: number;
  /** Null when the model has no price: "unpriced", never $0. */
  costUsd: number | null;
  /** Cost of the same usage at standard prices, for the priority premium. Null when unpriced. */
  standardCostUsd: number | null;
  requestId?: string;
  latencyMs: number;
  /** True when the cost is an estimate: the tokens are (the stream, or its process, ended before usage arrived), or costBound. */
  estimated?: boolean;
  /** True when the tier that served it has no price here: the tokens are exact, the cost the model's dearest price. */
  costBound?: boolean;
  /**
   * True when its process died before the response was metered: counted at the most it can have cost (its
   * whole output cap at the model's dearest tier), served at a tier nobody saw.
   */
  worstCase?: boolean;
  endpoint: 'responses' | 'chat';
}

export type TranscriptEvent =
  | { kind: 'user'; ts: string; text: string }
  | { kind: 'assistant'; ts: string; text: string; turn: number }
  | { kind: 'assistant-delta'; ts: string; delta: string; turn: number }
  | { kind: 'tool-call'; ts: string; turn: number; callId: string; name: string; args: string }
  | { kind: 'tool-result'; ts: string; turn: number; callId: string; output: string; ok: boolean }
  | { kind: 'usage'; ts: string; turn: number; record: UsageRecord; cachedShare: number }
  | { kind: 'status'; ts: string; status: SessionStatus; reason?: string }
  | { kind: 'guard'; ts: string; level: GuardLevel; reason: string }
  | { kind: 'cache-break'; ts: string; turn: number; reason: string; segment: string; lostUsd: number }
  /** `stream`: a line a command agent printed, on its stdout or stderr (stderr is not taken for a warning: many tools log there). */
  | { kind: 'notice'; ts: string; level: 'info' | 'warning' | 'error'; text: string; stream?: 'stdout' | 'stderr' };

/** One turn of a recorded session, as `switchyard replay` reads it (one JSON object per line). */
export interface TraceTurn {
  turn: number;
  toolCalls: { name: string; arguments: string; output: string; ok?: boolean }[];
  text?: string;
  usage?: { input: number; cached: number; output: number; reasoning?: number };
  costUsd?: number;
  /** Paths changed in the worktree by this turn (empty: nothing changed). */
  filesChanged: string[];
  /** Optional fingerprint of the whole worktree after the turn (detects an edit undone and redone). */
  worktreeHash?: string;
  /**
   * The run ended with this response: its calls' outputs are not known, and the live guard did not judge it
   * (a guard rebuilt from the trace leaves it out too).
   */
  closed?: boolean;
  /**
   * The session's tier when the turn was judged (as the next request went out; a change the user made in
   * between shows one turn early): a replay starts the guard at the first turn's, and follows its changes.
   */
  tier?: Tier;
}
