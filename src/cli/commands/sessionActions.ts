// switchyard resume / merge / discard: what the sidebar does with a session, headless. A session is named
// by its id (`switchyard sessions` lists them). Of the sessions a dead process left, only that one is
// taken over, and started only by resume: the others wait for a window, or a resume of their own.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isBaseUrl, type HostSettings } from '../../protocol/host';
import { ACTIVE_STATUSES, RESUMABLE_STATUSES, type MergeStrategy, type SessionInfo } from '../../protocol/types';
import { formatBudgetUsd, formatBudgetUsdUp } from '../../host/budgets/budgetText';
import type { Engine } from '../../host/engine';
import type { HomeLayout } from '../../host/home';
import { parseRecord } from '../../host/sessions/sessionRecord';
import { CapReachedError, InvalidRequestError, UserError } from '../../host/errors';
import { usdToMicro } from '../../host/pricing/cost';
import { shownUrl } from '../../host/gateway/responses';
import { sandboxProblem } from '../../host/sessions/preflight';
import { recordedBaseURL, resolvedBaseURL } from '../../host/settings';
import { branchTip } from '../../host/worktrees/repo';
import { leastToResume, machineCapSpent, queuedAndTakenOver, queueTakenOver } from '../../host/sessions/resumeSession';
import { budgetFlag, maxTurnsFlag, UsageError, type CommandSpec, type ParsedFlags } from '../args';
import { startCliEngine } from '../engineForCli';
import { onEndSignals } from '../endSignals';
import { capReachedAtStart, followSession } from '../follow';

type Out = (s: string) => void;

const REPO_FLAG = { type: 'string', help: 'the repository the session belongs to (default: looked for in every repository)' } as const;

export const resumeSpec: CommandSpec = {
  name: 'resume',
  summary: 'Resume a paused, stuck, over-budget, failed or stopped session and wait until it finishes, pauses or fails.',
  usage: 'switchyard resume ID [--hint TEXT] [flags]',
  positionals: ['id'],
  flags: {
    repo: REPO_FLAG,
    hint: { type: 'string', help: 'a hint for the agent, added to its conversation' },
    budget: { type: 'number', help: "the session's budget in USD from now on (to go on past the one it reached)" },
    'base-url': { type: 'string', help: 'OpenAI-compatible base URL to go on at (default: the one it last ran against)', emptySays: '--base-url is empty: for OpenAI, give https://api.openai.com/v1; without the flag, the session goes on where it last ran' },
    'max-turns': { type: 'number', whole: true, help: 'turns the built-in agent may take from here (default: 60 more for a session at its turn limit, else its limit as it was)' },
    'approve-commands': { type: 'boolean', help: 'approve every command of a session that asks before each one, or that the OS sandbox cannot confine here: nobody is here to ask' },
    json: { type: 'boolean', help: 'print one JSON object when the session ends' },
    quiet: { type: 'boolean', help: 'do not print progress' },
  },
};

export const mergeSpec: CommandSpec = {
  name: 'merge',
  summary: "Merge a finished session's branch into the branch it started from, in the repository's own checkout.",
  usage: 'switchyard merge ID [--strategy merge|squash|rebase] [flags]',
  positionals: ['id'],
  flags: {
    repo: REPO_FLAG,
    strategy: { type: 'string', values: ['merge', 'squash', 'rebase'], help: 'how the work lands (default: merge)' },
    message: { type: 'string', help: 'the commit message (merge and squash)', emptySays: '--message is empty: git would write a commit message of its own. Leave it out for the session\'s title, or say what the commit does' },
    yes: { type: 'boolean', help: 'merge a session that has not finished (paused, stuck, failed...): its work lands as it is, and it cannot be resumed after' },
    json: { type: 'boolean', help: 'print the result as JSON' },
  },
};

export const discardSpec: CommandSpec = {
  name: 'discard',
  summary: "Remove a session's worktree (files git ignores there, such as build output or a .env, go with it). Work that is not merged is kept unless --yes says it may go.",
  usage: 'switchyard discard ID [--yes] [--delete-branch | --commit] [flags]',
  positionals: ['id'],
  flags: {
    repo: REPO_FLAG,
    yes: { type: 'boolean', help: 'discard even uncommitted work and commits that are not merged, and stop the session first if it runs' },
    'delete-branch': { type: 'boolean', help: 'delete the branch too (without it, the branch is kept)' },
    commit: { type: 'boolean', help: 'commit its uncommitted files to its branch first, and keep the branch: none of its work is lost' },
    json: { type: 'boolean', help: 'print the result as JSON' },
  },
};

export async function resumeCommand(flags: ParsedFlags, [id]: string[], out: Out, err: Out): Promise<number> {
  const quiet = Boolean(flags.quiet);
  const approveCommands = Boolean(flags['approve-commands']);
  const budget = budgetFlag(flags);
  const maxTurns = maxTurnsFlag(flags);
  const baseUrl = flags['base-url'] as string | undefined;
  if (baseUrl !== undefined && !isBaseUrl(baseUrl)) throw new UsageError(`--base-url must be an http(s) URL such as http://localhost:11434/v1, not "${baseUrl}"`);
  // Kept by the engine's settings for this run: config.json reloads keep what is set here too.
  const own: Partial<HostSettings> = maxTurns ? { maxTurns } : {};
  const engine = await startCliEngine({ only: id, approveCommands, settings: own, verbose: quiet ? undefined : err, followsTranscript: !quiet });
  const resume = async () => {
    const s = inItsRepository(await findSession(engine, id!, flags));
    // Nobody is here to ask: a session set to ask first, or whose commands the sandbox cannot confine here, is not resumed so unasked.
    if (s.approval === 'ask' && !approveCommands) {
      throw new InvalidRequestError(`"${s.title}" asks before each command it runs (approval: ask), and nobody is here to ask. Resume it in VS Code, or pass --approve-commands to approve them all.`);
    }
    const endpoint = endpointOf(s, baseUrl, engine.settings.baseURL);
    if (endpoint !== engine.settings.baseURL) {
      own.baseURL = endpoint;
      engine.retune({ baseURL: endpoint });
    }
    if (maxTurns !== undefined && s.agent !== 'builtin') throw new InvalidRequestError(`--max-turns counts the built-in agent's turns; "${s.title}" runs ${s.agent === 'codex' ? 'Codex' : 'a command'}, whose requests have no turn limit (its budget bounds them).`);
    const unconfined = await sandboxProblem(engine.settings, s.agent, s.approval, !approveCommands);
    if (unconfined) throw new InvalidRequestError(unconfined);
    // A cap spent is said before anything changes (the budget below, a queued session taken over).
    const machine = RESUMABLE_STATUSES.includes(s.status) || s.status === 'queued' ? machineCapSpent(engine.spend, engine.settings, s, await leastToResume(engine.spend, engine.settings, s)) : undefined;
    if (machine) throw machine;
    // Only for a session that can be resumed, and to a budget with room left: a refused resume leaves its budget as it was.
    if (budget !== undefined && RESUMABLE_STATUSES.includes(s.status)) {
      refuseSpentBudget(budget, s);
      await engine.sessions.raiseBudget(s.id, budget);
    }
    const hint = flags.hint as string | undefined;
    // Left queued by a process that is gone, it was taken over (not started) as it was found: it runs now.
    return (await queueTakenOver(engine.sessions, s.id, hint, { moreTurns: maxTurns })) ?? engine.sessions.resume(id!, hint, { moreTurns: maxTurns });
  };
  const json = Boolean(flags.json);
  try {
    return await followSession(engine, resume, { json, quiet }, out, err);
  } catch (e) {
    // A cap spent is a cap reached (exit 3), as for `run`, whatever the session's status.
    if (e instanceof CapReachedError) return capReachedAtStart(e, json, out, err, 'resume');
    throw e;
  }
}

/**
 * The model API a resume goes on at: where the session last ran, which must be where this shell points
 * (OPENAI_BASE_URL, else OpenAI), since this shell's OPENAI_API_KEY goes with every request. Where they
 * differ, nothing is sent until --base-url says which: a local model's session is never sent to OpenAI, nor
 * a key to a server the session's record names, unasked.
 */
function endpointOf(s: SessionInfo, flag: string | undefined, shell: string): string {
  // Records keep the address without credentials: the shell's is compared without them too.
  const same = (a: string, b: string) => resolvedBaseURL(recordedBaseURL(a)) === resolvedBaseURL(recordedBaseURL(b));
  if (flag !== undefined || s.baseURL === undefined || same(s.baseURL, shell)) return flag ?? shell;
  // Shown without credentials or query, as every message shows a model server's address.
  const where = (url: string) => (url ? shownUrl(url) : 'OpenAI');
  // Its query (an api-version) is part of where it runs; credentials are not shown.
  const flagFor = (url: string) => recordedBaseURL(resolvedBaseURL(url));
  throw new UsageError(`"${s.title}" last ran against ${where(s.baseURL)}, and this shell points at ${where(shell)} (${shell ? 'OPENAI_BASE_URL' : 'OPENAI_BASE_URL is not set'}). Nothing was sent. Pass --base-url ${flagFor(s.baseURL)} to go on where it ran, or --base-url ${flagFor(shell)} to move it here; this shell's OPENAI_API_KEY is sent to the one you name.`);
}

/** A budget no more than the session has spent would leave it over budget before its first request. */
function refuseSpentBudget(budget: number, s: SessionInfo): void {
  // Stopped by its own budget, it goes on only with what its refused request needed left above what it spent.
  const need = s.status === 'over-budget' && s.statusCause === 'session-budget' ? s.overBudgetNeedUsd : undefined;
  if (need !== undefined && usdToMicro(budget) > usdToMicro(s.costUsd) && usdToMicro(budget) < usdToMicro(s.costUsd) + usdToMicro(need)) {
    throw new UsageError(`--budget ${budget} leaves ${formatBudgetUsd(budget - s.costUsd)} above the ${formatBudgetUsd(s.costUsd)} the session has spent, less than its next request needs (up to ${formatBudgetUsdUp(need)}): it would stop again at once. Nothing was changed; give it ${formatBudgetUsdUp(s.costUsd + need)} or more.`);
  }
  if (usdToMicro(budget) > usdToMicro(s.costUsd)) return;
  const relation = budget < s.costUsd ? 'is below' : 'is no more than';
  // To the micro-dollar where cents of cents would show the two alike ("0.0037 is below $0.0037").
  const spent = formatBudgetUsd(s.costUsd) === formatBudgetUsd(budget) ? `$${s.costUsd.toFixed(6).replace(/\.?0+$/, '')}` : formatBudgetUsd(s.costUsd);
  throw new UsageError(`--budget ${budget} ${relation} the ${spent} the session has already spent. Nothing was changed; give it a budget above that to go on.`);
}

export async function mergeCommand(flags: ParsedFlags, [id]: string[], out: Out, err: Out): Promise<number> {
  if (flags.message !== undefined && flags.strategy === 'rebase') {
    throw new UsageError('--message names the merge or squash commit; a rebase makes none (its commits keep their own messages)');
  }
  return withSession(flags, id!, err, async (engine, s) => {
    // Stopped short of done, it could still finish: merged, it never can. (Other statuses are the engine's to refuse.)
    if (RESUMABLE_STATUSES.includes(s.status) && !flags.yes) {
      const message = `${s.title} is ${s.status}, not done. Merging lands its work as it is and ends it: it cannot be resumed after. Nothing was changed; run again with --yes to merge it all the same, or \`switchyard resume ${s.id}${s.guard.level === 'pause' || s.guard.level === 'stop' ? ' --hint "what to do differently"' : ''}\` to let it finish.`;
      out(flags.json ? JSON.stringify({ ok: false, reason: 'not-finished', message }) : `not merged: ${message}`);
      return 1;
    }
    // A base that is no branch now (a detached HEAD's commit, a deleted branch) is refused: "Merging … into 0558ff7…" must not come first.
    const onBranch = await baseIsBranch(s);
    const r = await engine.sessions.merge({ sessionId: s.id, strategy: (flags.strategy as MergeStrategy | undefined) ?? 'merge', message: flags.message as string | undefined }, { report: m => onBranch && err(m) });
    if (flags.json) out(JSON.stringify(r));
    else if (r.ok) out(`merged: ${s.title} (${s.branch}) as ${r.commit.slice(0, 8)}, by ${r.strategy}${r.worktreeKept ? `\n  ${r.worktreeKept}` : ''}`);
    else if (r.reason === 'nothing-to-merge') out(`not merged: ${r.message}. \`switchyard discard ${s.id} --delete-branch\` removes its worktree and branch.`);
    else out(`not merged: ${r.message}${r.reason === 'conflict' ? `\n  ${r.files.join('\n  ')}` : ''}`);
    return r.ok ? 0 : 1;
  }, 'merge');
}

async function baseIsBranch(s: SessionInfo): Promise<boolean> {
  return (await branchTip(s.repo, s.baseBranch).catch(() => null)) !== null;
}

export async function discardCommand(flags: ParsedFlags, [id]: string[], out: Out, err: Out): Promise<number> {
  if (flags.commit && flags['delete-branch']) throw new UsageError('--commit keeps the branch, with the uncommitted work committed to it: it cannot go with --delete-branch');
  return withSession(flags, id!, err, async (engine, s) => {
    // A discard stops a session that runs (where it runs) before it looks at its work: only when told to.
    if (ACTIVE_STATUSES.includes(s.status) && !flags.yes) {
      const message = s.status !== 'queued'
        ? `${s.title} is ${s.status}. Nothing was changed; run again with --yes to stop it and discard it.`
        : queuedAndTakenOver(engine.sessions, s.id)
          ? `${s.title} is queued, but the run that queued it ended: nothing will run it. Nothing was changed; run again with --yes to discard it, or \`switchyard resume ${s.id}\` runs it.`
          : `${s.title} is queued to run. Nothing was changed; run again with --yes to discard it (or \`switchyard resume ${s.id}\` runs it, if the run that queued it ended).`;
      out(flags.json ? JSON.stringify({ ok: false, reason: 'running', message }) : `not discarded: ${message}`);
      return 1;
    }
    const r = await engine.sessions.discard({ sessionId: s.id, force: Boolean(flags.yes), deleteBranch: Boolean(flags['delete-branch']), ...(flags.commit ? { commitFirst: true } : {}) });
    if (r.ok) {
      out(flags.json ? JSON.stringify(r) : `discarded: ${s.title}${r.branchKept ? ` (its branch ${s.branch} is kept)` : ''}`);
      return 0;
    }
    const commits = (n: number) => `${n} ${n === 1 ? 'commit' : 'commits'}`;
    const files = r.uncommittedFiles;
    const lost = [
      ...(r.unmergedCommits ? [`${commits(r.unmergedCommits)} not merged`] : []),
      ...(r.submoduleCommits ? [`${commits(r.submoduleCommits)} in its submodules that no remote of theirs has`] : []),
      ...(files.length ? [`uncommitted changes to ${files.slice(0, 10).join(', ')}${files.length > 10 ? ` and ${files.length - 10} more files` : ''}`] : []),
    ];
    const listed = lost.length > 2 ? `${lost.slice(0, -1).join(', ')} and ${lost.at(-1)}` : lost.join(' and ');
    const keepIt = files.length && !flags.commit ? ' (or with --commit to commit the uncommitted changes to its branch first and keep it)' : '';
    // Commits alone, and the branch kept: nothing is lost, but a discard still asks before it acts.
    const onBranchOnly = !files.length && !r.submoduleCommits && !r.detachedCommits && !flags['delete-branch'];
    const message = onBranchOnly
      ? `${s.title} has ${listed} into ${s.baseBranch}. They stay on ${s.branch}, which a discard keeps (--delete-branch would lose them). Nothing was changed; run again with --yes to remove its worktree.`
      : `${s.title} has ${listed}. Nothing was changed; run again with --yes to discard it all the same${keepIt}.`;
    // The shape of every other refusal (reason, message), with what would be lost as the engine counts it.
    out(flags.json ? JSON.stringify({ ...r, reason: 'would-lose-work', message }) : `not discarded: ${message}`);
    return 1;
  }, 'discard');
}

async function withSession(flags: ParsedFlags, id: string, err: Out, act: (engine: Engine, s: SessionInfo) => Promise<number>, doing: 'merge' | 'discard'): Promise<number> {
  // A merge or discard cut off runs no clean-up of what it began (a temporary worktree, a git left running):
  // the first Ctrl-C waits for it to end, either way; a second exits all the same.
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    err(`Interrupted: waiting for the ${doing} to finish, or to undo what it began, so the repository is not left half-way (Ctrl-C again to exit now).`);
  };
  const offSignals = onEndSignals(onSignal);
  try {
    const engine = await startCliEngine({ only: id, verbose: err });
    try {
      const s = await findSession(engine, id, flags);
      // A discard --yes is the way out for a session whose repository is gone for good (repositoryGone.ts).
      const letGo = doing === 'discard' && flags.yes && !flags.commit;
      return await act(engine, letGo ? s : inItsRepository(s));
    } finally {
      await engine.shutdown();
    }
  } finally {
    offSignals();
  }
}

/** The session `id`, loaded with its repository's sessions (the one given, or every one that has sessions). */
export async function findSession(engine: Engine, id: string, flags: ParsedFlags): Promise<SessionInfo> {
  const repo = flags.repo ? await engine.sessions.repoRootOf(path.resolve(flags.repo as string)) : undefined;
  const found = (await engine.sessions.list(repo)).find(s => s.id === id);
  if (!found) {
    const damaged = damagedRecordOf(engine.layout, repo, id);
    if (damaged) {
      throw new UserError(`The record of session ${id} cannot be read, so nothing was done: ${damaged}. Its worktree and branch are as they were: mend the file, or look for its branch with \`git branch --list 'switchyard/*'\`.`);
    }
    const elsewhere = repo ? (await engine.sessions.list()).find(s => s.id === id) : undefined;
    if (elsewhere) throw new InvalidRequestError(`Session ${id} belongs to the repository at ${elsewhere.repo}, not ${repo}.${existsSync(elsewhere.repo) ? '' : ` ${repoGone(elsewhere)}`}`);
    throw new InvalidRequestError(`There is no session ${id}${repo ? ` in ${repo}` : ''}. \`switchyard sessions\` lists them.`);
  }
  return found;
}

/** A session resume, merge or discard work on: its repository must be where its record says (git's worktrees name it there too). */
function inItsRepository(s: SessionInfo): SessionInfo {
  if (!existsSync(s.repo)) throw new UserError(`Session ${s.id} belongs to the repository at ${s.repo}. ${repoGone(s)}`);
  return s;
}

/** A session's repository is not where its record says: it is known by its path, which git's worktrees name too. */
function repoGone(s: SessionInfo): string {
  return `That folder is not there now (moved, renamed or deleted), so nothing was done. Its work is on branch ${s.branch}, in the worktree ${s.worktree}. If the repository was moved, move it back to ${s.repo} to resume, merge or discard the session: sessions, and git's own worktrees, know a repository by its path. If it is gone for good, \`switchyard discard ${s.id} --yes\` deletes its worktree folder (the last copy of its files) and marks it discarded.`;
}

/** Why the record of session `id` did not load, when there is one that cannot be read (in `repo`'s folder, or any). */
function damagedRecordOf(layout: HomeLayout, repo: string | undefined, id: string): string | undefined {
  if (!/^[\w-]+$/.test(id)) return undefined;
  let dirs: string[];
  try {
    dirs = repo ? [layout.sessionsDir(repo)] : readdirSync(layout.reposDir).map(r => path.join(layout.reposDir, r, 'sessions'));
  } catch {
    return undefined;
  }
  for (const file of dirs.map(d => path.join(d, id, 'session.json')).filter(f => existsSync(f))) {
    try {
      parseRecord(readFileSync(file, 'utf8'), file);
    } catch (err) {
      const message = (err as Error).message;
      return message.startsWith(file) ? message : `${file}: ${message}`;
    }
  }
  return undefined;
}
