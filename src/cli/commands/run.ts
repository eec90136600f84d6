// switchyard run: one session, headless, from creation to its final status.
import path from 'node:path';
import { isBaseUrl } from '../../protocol/host';
import type { TranscriptEvent } from '../../protocol/records';
import type { AgentKind, SessionInfo, Tier } from '../../protocol/types';
import type { CommandSpec, ParsedFlags } from '../args';
import { UsageError } from '../args';
import { startCliEngine } from '../engineForCli';

export const runSpec: CommandSpec = {
  name: 'run',
  summary: 'Start an agent session on a repository and wait until it finishes, pauses or fails.',
  usage: 'switchyard run --repo DIR --task TEXT [flags]',
  flags: {
    repo: { type: 'string', help: 'the git repository (or a folder inside it)' },
    task: { type: 'string', help: 'what the agent should do' },
    title: { type: 'string', help: 'a short title (default: the first line of the task)' },
    role: { type: 'string', help: 'role preset: coder, reviewer, test-fixer, or .switchyard/roles/<name>.md' },
    model: { type: 'string', help: 'model name' },
    tier: { type: 'string', values: ['priority', 'standard', 'flex'], help: 'service tier' },
    budget: { type: 'number', help: 'session budget in USD' },
    'base-url': { type: 'string', help: 'OpenAI-compatible base URL (default: OPENAI_BASE_URL, else OpenAI)' },
    'base-branch': { type: 'string', help: 'branch to start from (default: the current branch)' },
    'max-turns': { type: 'number', help: 'stop after this many model turns' },
    agent: { type: 'string', values: ['builtin', 'codex', 'command'], help: 'which agent runs the session' },
    command: { type: 'string', help: 'the command to run with --agent command' },
    api: { type: 'string', values: ['auto', 'responses', 'chat'], help: 'model API (default: auto)' },
    'read-only': { type: 'boolean', help: 'the agent may read but not write or run commands' },
    json: { type: 'boolean', help: 'print one JSON object when the session ends' },
    quiet: { type: 'boolean', help: 'do not print progress' },
  },
};

/** Exit statuses of the contract: 0 done, 1 failed or stopped, 3 paused (over budget, stuck or waiting). */
export function exitStatusOf(s: SessionInfo): number {
  if (s.status === 'done' || s.status === 'merged') return 0;
  // Stopped by the user in VS Code while this process ran it: the task did not finish.
  if (s.status === 'failed' || s.status === 'stopped' || s.status === 'discarded') return 1;
  return 3;
}

export async function runCommand(flags: ParsedFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const repo = flags.repo as string | undefined;
  const task = flags.task as string | undefined;
  if (!repo) throw new UsageError('--repo DIR is required');
  if (!task?.trim()) throw new UsageError('--task TEXT is required');
  if (flags.budget !== undefined && !((flags.budget as number) > 0)) throw new UsageError('--budget must be a positive number of dollars');
  if (flags['max-turns'] !== undefined && !(Number.isInteger(flags['max-turns']) && (flags['max-turns'] as number) > 0)) {
    throw new UsageError('--max-turns must be a positive whole number');
  }
  const baseUrl = (flags['base-url'] as string | undefined) ?? process.env.OPENAI_BASE_URL ?? '';
  if (!isBaseUrl(baseUrl)) {
    throw new UsageError(`${flags['base-url'] !== undefined ? '--base-url' : 'OPENAI_BASE_URL'} must be an http(s) URL such as http://localhost:11434/v1, not "${baseUrl}"`);
  }
  const agent = (flags.agent as AgentKind | undefined) ?? 'builtin';
  if (agent === 'command' && !flags.command) throw new UsageError('--agent command needs --command CMD');
  const quiet = Boolean(flags.quiet);
  const engine = await startCliEngine({
    settings: {
      ...(flags['base-url'] ? { baseURL: flags['base-url'] as string } : {}),
      ...(flags.model ? { model: flags.model as string } : {}),
      ...(flags.api ? { api: flags.api as 'auto' | 'responses' | 'chat' } : {}),
    },
    readOnly: Boolean(flags['read-only']),
    verbose: quiet ? undefined : err,
  });
  let stopping = false;
  let session: SessionInfo | undefined;
  const onSignal = () => {
    if (stopping || !session) process.exit(130);
    stopping = true;
    err('Interrupted: pausing the session (`switchyard sessions --repo DIR` lists it; VS Code can resume it).');
    void engine.sessions.pause(session.id);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    session = await engine.sessions.create(
      {
        repo: path.resolve(repo),
        task,
        title: flags.title as string | undefined,
        role: flags.role as string | undefined,
        model: flags.model as string | undefined,
        tier: flags.tier as Tier | undefined,
        budgetUsd: flags.budget as number | undefined,
        baseBranch: flags['base-branch'] as string | undefined,
        agent,
        command: flags.command as string | undefined,
        approval: flags['read-only'] ? 'read-only' : 'auto',
        maxTurns: flags['max-turns'] as number | undefined,
      },
      { report: m => quiet || err(m) },
    );
    if (!quiet) {
      err(`Session ${session.id} on ${session.branch} (worktree ${session.worktree})`);
      engine.sessions.watch(session.id, true);
      engine.sessions.find(session.id)?.transcript.setListener((_from, events) => events.forEach(e => printEvent(e, err)));
    }
    const final = await engine.sessions.waitUntilSettled(session.id);
    await engine.gateway.drain(final.id);
    const settled = engine.sessions.info(engine.sessions.get(final.id));
    if (flags.json) {
      out(JSON.stringify({
        id: settled.id,
        status: settled.status,
        branch: settled.branch,
        worktree: settled.worktree,
        usage: { input: settled.usage.input, cached: settled.usage.cached, output: settled.usage.output, reasoning: settled.usage.reasoning, requests: settled.usage.requests },
        costUsd: settled.costUsd,
        // Requests of a model without a price are in usage but not in costUsd: never shown as free.
        ...(settled.unpricedRequests ? { unpricedRequests: settled.unpricedRequests } : {}),
        tier: settled.tier,
        ...(settled.statusReason ? { reason: settled.statusReason } : {}),
      }));
    } else {
      out(`${settled.status}: ${settled.title} (${settled.branch})`);
      if (settled.statusReason) out(`  ${settled.statusReason}`);
      const unpriced = settled.unpricedRequests ? ` (+ ${settled.unpricedRequests} unpriced ${settled.unpricedRequests === 1 ? 'request' : 'requests'})` : '';
      out(`  ${settled.usage.requests} requests, ${settled.usage.input} input (${settled.usage.cached} cached), ${settled.usage.output} output tokens, $${settled.costUsd.toFixed(4)}${unpriced} on ${settled.tier}`);
    }
    return exitStatusOf(settled);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engine.shutdown();
  }
}

function printEvent(e: TranscriptEvent, err: (s: string) => void): void {
  switch (e.kind) {
    case 'assistant': err(`  agent: ${oneLine(e.text)}`); break;
    case 'tool-call': err(`  → ${e.name} ${oneLine(e.args)}`); break;
    case 'tool-result': if (!e.ok) err(`    ✗ ${oneLine(e.output)}`); break;
    case 'status': err(`  [${e.status}]${e.reason ? ` ${e.reason}` : ''}`); break;
    case 'guard': err(`  ! loop guard (${e.level}): ${e.reason}`); break;
    case 'cache-break': err(`  ! cache break: ${e.reason}`); break;
    case 'notice': if (e.level !== 'info') err(`  ${e.level}: ${e.text}`); break;
    default: break;
  }
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}
