// switchyard run: one session, headless, from creation to its final status.
import path from 'node:path';
import { isBaseUrl } from '../../protocol/host';
import type { AgentKind, Tier } from '../../protocol/types';
import { CapReachedError } from '../../host/errors';
import type { CommandSpec, ParsedFlags } from '../args';
import { budgetFlag, maxTurnsFlag, UsageError } from '../args';
import { startCliEngine } from '../engineForCli';
import { capReachedAtStart, followSession } from '../follow';

export const runSpec: CommandSpec = {
  name: 'run',
  summary: 'Start an agent session on a repository and wait until it finishes, pauses or fails.',
  usage: 'switchyard run --task TEXT [--repo DIR] [flags]',
  flags: {
    repo: { type: 'string', help: 'the git repository (or a folder inside it; default: the current folder)' },
    task: { type: 'string', help: 'what the agent should do', emptySays: '--task is empty: say what the agent should do' },
    title: { type: 'string', help: 'a short title (default: the first line of the task)' },
    role: { type: 'string', help: 'role preset: coder, reviewer, test-fixer, or .switchyard/roles/<name>.md' },
    model: { type: 'string', help: 'model name (default: gpt-5.4)' },
    tier: { type: 'string', values: ['priority', 'standard', 'flex'], help: "service tier (default: the role's, else standard)" },
    budget: { type: 'number', help: "session budget in USD (default: the role's, else budgets.sessionUsd in config.json, else $5)" },
    'base-url': { type: 'string', help: 'OpenAI-compatible base URL (default: OPENAI_BASE_URL, else OpenAI)', emptySays: '--base-url is empty: for OpenAI, give https://api.openai.com/v1; without the flag, OPENAI_BASE_URL is used' },
    'base-branch': { type: 'string', help: 'branch to start from (default: the current branch)' },
    'max-turns': { type: 'number', whole: true, help: 'stop after this many model turns (default: 60)' },
    agent: { type: 'string', values: ['builtin', 'codex', 'command'], help: 'which agent runs the session' },
    command: { type: 'string', help: 'the command to run with --agent command' },
    api: { type: 'string', values: ['auto', 'responses', 'chat'], help: 'model API (default: auto)' },
    'read-only': { type: 'boolean', help: 'the agent may read but not write or run commands' },
    'approve-commands': { type: 'boolean', help: 'where the OS sandbox cannot run, run the agent\'s commands unconfined: nobody is here to approve each one' },
    json: { type: 'boolean', help: 'print one JSON object when the session ends' },
    quiet: { type: 'boolean', help: 'do not print progress' },
  },
};

export async function runCommand(flags: ParsedFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  // The folder it runs in, as git itself would take it.
  const repo = (flags.repo as string | undefined) ?? process.cwd();
  const task = flags.task as string | undefined;
  if (!task?.trim()) throw new UsageError('--task TEXT is required');
  const budgetUsd = budgetFlag(flags);
  maxTurnsFlag(flags);
  const baseUrl = (flags['base-url'] as string | undefined) ?? process.env.OPENAI_BASE_URL ?? '';
  if (!isBaseUrl(baseUrl)) {
    throw new UsageError(`${flags['base-url'] !== undefined ? '--base-url' : 'OPENAI_BASE_URL'} must be an http(s) URL such as http://localhost:11434/v1, not "${baseUrl}"`);
  }
  // --command alone means the command agent: it would otherwise be dropped, and a paid built-in agent run in its place.
  const agent = (flags.agent as AgentKind | undefined) ?? (flags.command !== undefined ? 'command' : 'builtin');
  if (agent === 'command' && !flags.command) throw new UsageError('--agent command needs --command CMD');
  if (agent !== 'command' && flags.command !== undefined) throw new UsageError(`--command is for --agent command, not --agent ${agent}`);
  if (agent !== 'builtin' && flags['max-turns'] !== undefined) {
    throw new UsageError(`--max-turns counts the built-in agent's turns; ${agent === 'codex' ? 'Codex' : 'a command'} has no turn limit (its budget bounds its requests)`);
  }
  const quiet = Boolean(flags.quiet);
  const engine = await startCliEngine({
    settings: {
      ...(flags['base-url'] ? { baseURL: flags['base-url'] as string } : {}),
      ...(flags.model ? { model: flags.model as string } : {}),
      ...(flags.api ? { api: flags.api as 'auto' | 'responses' | 'chat' } : {}),
    },
    readOnly: Boolean(flags['read-only']),
    approveCommands: Boolean(flags['approve-commands']),
    verbose: quiet ? undefined : err,
    followsTranscript: !quiet,
  });
  const create = () => engine.sessions.create(
    {
      repo: path.resolve(repo),
      task,
      title: flags.title as string | undefined,
      role: flags.role as string | undefined,
      model: flags.model as string | undefined,
      tier: flags.tier as Tier | undefined,
      budgetUsd,
      baseBranch: flags['base-branch'] as string | undefined,
      agent,
      command: flags.command as string | undefined,
      approval: flags['read-only'] ? 'read-only' : 'auto',
      maxTurns: flags['max-turns'] as number | undefined,
    },
    { report: m => quiet || err(m) },
  );
  const json = Boolean(flags.json);
  try {
    return await followSession(engine, create, { json, quiet, fresh: true }, out, err);
  } catch (e) {
    if (e instanceof CapReachedError) return capReachedAtStart(e, json, out, err);
    throw e;
  }
}
