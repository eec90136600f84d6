// Runs the built-in agent for a session: its conversation, its tools in the worktree, its model calls
// through the gateway (in-process, with the session's token; the user's key stays in the gateway).
import type { HostSettings } from '../../../protocol/host';
import { runAgentLoop, type AgentOutcome } from '../../agent/agentLoop';
import { compactionThreshold } from '../../agent/compaction';
import { Conversation } from '../../agent/conversation';
import { ModelClient } from '../../agent/modelClient';
import { buildInstructions, taskMessage, toolDefsFor, toolsFor } from '../../agent/prompt';
import type { Role } from '../../agent/roles';
import { DEFAULT_TOOL_LIMITS, type CommandRunner, type ToolContext } from '../../agent/tools/types';
import type { Gateway } from '../../gateway/gateway';
import type { LiveSession } from '../liveSession';
import { makeDir } from '../../util/makeDir';
import { deniedInWorktree } from '../../sandbox/policy';
import { notFoundHint } from '../preflight';
import { emptySubmodules } from '../../worktrees/submodulePaths';

export interface BuiltinRunOptions {
  session: LiveSession;
  role: Role;
  gateway: Gateway;
  settings: HostSettings;
  runCommand: CommandRunner;
  /** The sandbox is unavailable: every command needs the user's approval. */
  forceAsk: boolean;
  requestApproval(command: string): Promise<boolean>;
  signal: AbortSignal;
  onTurn(turns: number): void;
  onRetrying?(reason: string | undefined): void;
}

/** The gateway is called in-process; this URL only gives the SDK a well-formed base. */
const IN_PROCESS_BASE = 'http://switchyard-gateway.invalid/v1';

export async function runBuiltinAgent(o: BuiltinRunOptions): Promise<AgentOutcome> {
  const s = o.session;
  const r = s.record;
  if (!s.token) throw new Error('the session has no gateway token');
  await makeDir(s.paths.tempDir);
  const conversation = await Conversation.open(s.paths.conversation);
  if (conversation.length === 0) await conversation.append(taskMessage(r.task, r.branch, r.baseBranch, { folder: r.folder, emptySubmodules: await emptySubmodules(r.worktree) }));
  const model = new ModelClient({
    baseURL: IN_PROCESS_BASE,
    apiKey: s.token,
    headers: {},
    api: o.settings.api,
    fetch: o.gateway.fetch as typeof fetch,
  });
  const toolContext: ToolContext = {
    worktree: r.worktree,
    tempDir: s.paths.tempDir,
    signal: o.signal,
    // Without a working sandbox, every command is asked for. (No session runs in an untrusted workspace: runSession.)
    approval: o.forceAsk && r.approval === 'auto' ? 'ask' : r.approval,
    requestApproval: o.requestApproval,
    runCommand: o.runCommand,
    limits: { ...DEFAULT_TOOL_LIMITS, commandTimeoutMs: o.settings.commandTimeoutSec * 1000 },
    // What the user keeps from commands inside the worktree (`.env`), the tools keep from too.
    denied: deniedInWorktree(r.worktree, o.settings.sandbox.denyRead),
  };
  try {
    return await runAgentLoop({
    model,
    modelName: r.model,
    instructions: buildInstructions(o.role),
    tools: toolsFor(o.role),
    toolDefs: toolDefsFor(o.role),
    conversation,
    toolContext,
    maxTurns: r.maxTurns,
    turnsSoFar: r.turns,
    maxOutputTokens: o.settings.maxOutputTokens,
    cacheKey: `switchyard-${r.id}`,
    signal: o.signal,
    emit: e => s.transcript.append(e),
    watched: () => s.transcript.watched,
    streamed: (turn, delta) => s.transcript.streamed(turn, delta),
    onTurn: o.onTurn,
    ...(o.onRetrying ? { onRetrying: o.onRetrying } : {}),
    notFoundHint: notFoundHint(o.settings.baseURL),
    takeNotes: () => s.takeNotes(),
    compactAtTokens: compactionThreshold(r.model, o.settings.compactAtTokens),
    onToolResult: (name, result) => s.noteToolEffects(name === 'run_command', result.filesChanged ?? []),
    onCompacted: (from, to) => {
      o.gateway.cacheOf(r.id)?.markCompaction();
      s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'info', text: `Cache reset: compaction from ~${from} to ~${to} tokens.` });
    },
    });
  } finally {
    await conversation.close();
  }
}
