// Session messages: lifecycle, review, merge, transcripts and approvals.
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { TranscriptEvent } from './records';
import type {
  AgentKind,
  ApprovalPolicy,
  ChangedFile,
  MergeStrategy,
  SessionInfo,
  Tier,
} from './types';

/**
 * How the reason of a session paused because its process ended while it ran begins (a window closed or
 * reloaded, a host or run that stopped): a window offers to resume such sessions when it opens.
 */
export const STOPPED_WHILE_RUNNING = 'Switchyard stopped while this session ran';
/** The reason of a session done with nothing to merge: no file changed, and no commit on its branch. */
export const FINISHED_UNCHANGED = 'Finished without changing files.';

export interface CreateSessionParams {
  /** A folder in the repository: its root, or one below it that the user works in (SessionInfo.folder). */
  repo: string;
  task: string;
  title?: string;
  role?: string;
  model?: string;
  tier?: Tier;
  budgetUsd?: number | null;
  baseBranch?: string;
  agent?: AgentKind;
  command?: string;
  approval?: ApprovalPolicy;
  maxTurns?: number;
}

export interface SessionRef {
  sessionId: string;
}

export interface ResumeParams extends SessionRef {
  /** A hint from the user, added to the conversation as a new message. */
  hint?: string;
}

export interface DiscardParams extends SessionRef {
  /** Delete the branch too. Without it, a branch with unmerged commits is kept. */
  deleteBranch?: boolean;
  /** Confirmed by the user after being told about unmerged or uncommitted work. */
  force?: boolean;
  /**
   * Its uncommitted files are committed to its branch first, and the branch kept: of its work, only files git
   * ignores go with the worktree. Nothing is removed when they cannot be committed.
   */
  commitFirst?: boolean;
}

export type DiscardResult =
  | { ok: true; branchKept: boolean }
  | {
    ok: false;
    needsConfirmation: true;
    uncommittedFiles: string[];
    unmergedCommits: number;
    /** Of `unmergedCommits`, those made on a detached HEAD: on no branch, they go with the worktree. */
    detachedCommits?: number;
    /** Commits in the worktree's submodules that no remote of theirs has: their only copy goes with the worktree. */
    submoduleCommits?: number;
  };

export interface MergeParams extends SessionRef {
  strategy: MergeStrategy;
  message?: string;
}

export type MergeResult =
  | {
    ok: true;
    commit: string;
    strategy: MergeStrategy;
    /** Why the session's worktree was left in place, when it was (Discard removes it later). */
    worktreeKept?: string;
  }
  | { ok: false; reason: 'conflict'; files: string[]; message: string }
  | { ok: false; reason: 'dirty-checkout' | 'not-on-base' | 'nothing-to-merge' | 'error'; message: string };

export interface ChangesResult {
  baseCommit: string;
  /** Commit the agent's work is on; uncommitted work in the worktree is included in `files`. */
  headCommit: string;
  worktree: string;
  files: ChangedFile[];
}

export interface TranscriptParams extends SessionRef {
  /** Only events after this index (for paging and catching up). */
  after?: number;
}

export interface TranscriptResult {
  events: TranscriptEvent[];
  next: number;
  /** The answer streaming now, as far as it came (deltas are never stored): a transcript opened mid-answer shows it whole. */
  streaming?: Extract<TranscriptEvent, { kind: 'assistant-delta' }>;
}

export interface SetTierParams {
  sessionId?: string;
  tier: Tier;
}

export interface ApprovalRequest {
  sessionId: string;
  title: string;
  command: string;
  cwd: string;
}

export interface ApprovalResponse {
  approved: boolean;
}

/** What New Session starts from: the branch checked out (`HEAD` when detached) and what is around it. */
export interface RepoBranches {
  current: string;
  branches: string[];
  /** HEAD is detached, at this commit (abbreviated): a session from it has no branch to merge back into. */
  detachedAt?: string;
  /** Files with uncommitted changes in the checkout, which a session (from the last commit) does not see. */
  uncommitted?: number;
  /** The folder asked about, relative to the checkout's root, when below it: where the agent is told the user works. */
  folder?: string;
}

export namespace SessionsProtocol {
  export const create = new RequestType<CreateSessionParams, SessionInfo, void>('switchyard/session/create');
  export const list = new RequestType<{ repo?: string }, SessionInfo[], void>('switchyard/session/list');
  export const pause = new RequestType<SessionRef, SessionInfo, void>('switchyard/session/pause');
  export const resume = new RequestType<ResumeParams, SessionInfo, void>('switchyard/session/resume');
  export const stop = new RequestType<SessionRef, SessionInfo, void>('switchyard/session/stop');
  export const retry = new RequestType<SessionRef, SessionInfo, void>('switchyard/session/retry');
  export const discard = new RequestType<DiscardParams, DiscardResult, void>('switchyard/session/discard');
  export const merge = new RequestType<MergeParams, MergeResult, void>('switchyard/session/merge');
  export const changes = new RequestType<SessionRef, ChangesResult, void>('switchyard/session/changes');
  export const transcript = new RequestType<TranscriptParams, TranscriptResult, void>('switchyard/session/transcript');
  /** Live transcript events are sent only for sessions a client watches (keeps 100 streams off the wire). */
  export const watch = new RequestType<SessionRef & { watching: boolean }, void, void>('switchyard/session/watch');
  export const setTier = new RequestType<SetTierParams, SessionInfo | null, void>('switchyard/session/setTier');
  export const saveTrace = new RequestType<SessionRef & { file: string }, { turns: number }, void>('switchyard/session/saveTrace');
  /** A file's content at the session's base commit (the left side of the diff); null when absent there. */
  export const fileAtBase = new RequestType<SessionRef & { path: string }, { content: string | null }, void>('switchyard/session/fileAtBase');
  export const pruneWorktrees = new RequestType<{ repo: string }, { pruned: string[] }, void>('switchyard/session/prune');
  /** The repository a folder belongs to (its main checkout), or why it is not one. */
  /** `noCommits`: the folder is in a repository that has no commit yet, which no session can branch from. */
  export const resolveRepo = new RequestType<{ dir: string }, { root: string | null; reason?: string; noCommits?: true }, void>('switchyard/repo/resolve');
  export const branches = new RequestType<{ repo: string }, RepoBranches, void>('switchyard/repo/branches');
  export const roles = new RequestType<{ repo: string }, RoleInfo[], void>('switchyard/repo/roles');
  /**
   * What the built-in agent's first request would reserve at the least (USD), as a start checks it against
   * the caps; null when its model has no price, or its role is not found.
   */
  export const firstRequest = new RequestType<FirstRequestParams, { usd: number | null }, void>('switchyard/session/firstRequest');

  /** Sessions that changed; coalesced by the host (at most a few batches a second). */
  export const changed = new NotificationType<{ sessions: SessionInfo[]; removed?: string[] }>('switchyard/session/changed');
  export const transcriptEvents = new NotificationType<{ sessionId: string; from: number; events: TranscriptEvent[] }>('switchyard/session/transcriptEvents');
  /** The host asks the user to approve a command (sent as a request so the answer comes back). */
  export const approval = new RequestType<ApprovalRequest, ApprovalResponse, void>('switchyard/session/approval');
  /** Something the user should see at once: a stuck or over-budget session, with the reason. */
  export const alert = new NotificationType<SessionAlert>('switchyard/session/alert');
}

export interface SessionAlert {
  sessionId: string;
  title: string;
  kind: 'stuck' | 'over-budget' | 'failed' | 'warn';
  message: string;
  /** Over budget: which cap stopped it (the session's own, or the machine's day or month cap). */
  capScope?: 'session' | 'day' | 'month';
  /** Stuck: the loop guard stopped it (looping again after a resume), so nothing is left to stop. */
  stopped?: true;
  /** Failed: the model server refused the API key, which a new one mends. */
  apiKeyRefused?: true;
}

export interface FirstRequestParams {
  repo: string;
  task: string;
  title?: string;
  role?: string;
  model?: string;
  baseBranch?: string;
}

export interface RoleInfo {
  name: string;
  description: string;
  /** The role's own tier, or null to use the default tier for new sessions. */
  tier: Tier | null;
  budgetUsd: number | null;
  source: 'built-in' | 'repo';
  /** False for a role whose tools run no command (a reviewer): its sessions only read, whatever approval says. */
  runsCommands?: boolean;
}
