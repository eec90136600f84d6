// The contract between the agent's turn loop and its tools.
import type { ApprovalPolicy } from '../../../protocol/types';

/**
 * A JSON Schema object as sent to the model. Must be a plain literal so its bytes never change; written
 * for strict mode (every property required, optional ones nullable, no additional properties).
 */
export type JsonSchemaObject = {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly required: readonly string[];
  readonly additionalProperties: false;
};

export type ParseResult<A> = { ok: true; value: A } | { ok: false; error: string };

export interface ToolLimits {
  /** Most bytes read_file returns in one call. */
  readMaxBytes: number;
  /** Most bytes of command or search output kept (head and tail). */
  outputCapBytes: number;
  commandTimeoutMs: number;
  /** Most entries a listing or a search returns. */
  listMax: number;
}

export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  readMaxBytes: 64 * 1024,
  outputCapBytes: 32 * 1024,
  commandTimeoutMs: 120_000,
  listMax: 500,
};

export interface CommandRunOptions {
  cwd: string;
  timeoutMs: number;
  signal: AbortSignal;
  outputCapBytes: number;
  /** Added to (and overriding) the runner's base environment. */
  env?: Record<string, string>;
  /** Told the pid of the command's process group once it started (the session record names it). */
  onStarted?: (pid: number) => void;
}

export interface CommandResult {
  /** null when the process was ended by a signal. */
  exitCode: number | null;
  signal?: string;
  /** stdout and stderr interleaved in arrival order, capped. */
  output: string;
  truncated: boolean;
  timedOut: boolean;
}

export type CommandRunner = (command: string, opts: CommandRunOptions) => Promise<CommandResult>;

export interface ToolContext {
  /** Absolute path of the session's worktree; every path a tool touches stays inside it. */
  worktree: string;
  /** A scratch folder for the session (commands get it as TMPDIR). */
  tempDir: string;
  /** Aborted when the session is stopped or paused. */
  signal: AbortSignal;
  approval: ApprovalPolicy;
  /** Asks the user whether a command may run; resolves false when denied. */
  requestApproval(command: string): Promise<boolean>;
  runCommand: CommandRunner;
  limits: ToolLimits;
  /** Worktree-relative paths no tool reads or changes (the `sandbox.denyRead` entries inside the worktree). */
  denied?: readonly string[];
}

export interface ToolResult {
  /** What the model reads. */
  output: string;
  ok: boolean;
  /** Worktree-relative paths (forward slashes) the tool changed. */
  filesChanged?: string[];
  /** Set by `finish`: the agent considers the task done. */
  finish?: { summary: string };
}

export interface ToolDef<A> {
  readonly name: string;
  /**
   * Whether running the call twice could do harm (it changes files or runs a command). Such a call is on
   * disk before it runs, so that a crash answers it as interrupted instead of running it again.
   */
  readonly sideEffects: boolean;
  readonly description: string;
  readonly parameters: JsonSchemaObject;
  parse(args: unknown): ParseResult<A>;
  run(args: A, ctx: ToolContext): Promise<ToolResult>;
}

/**
 * A tool whose argument type has been forgotten, for lists of tools. Safe because a tool's run only ever
 * receives what its own parse produced (see runTool).
 */
export type AnyToolDef = ToolDef<unknown>;
