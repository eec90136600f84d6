// Creating a session: check the request, resolve role, tier and budget, make the branch and worktree
// (serialised per repository across processes), persist it and queue it.
import path from 'node:path';
import type { CreateSessionParams, FirstRequestParams } from '../../protocol/sessions';
import { TIERS, type AgentKind, type ApprovalPolicy, type SessionInfo } from '../../protocol/types';
import { loadRoles } from '../agent/roles';
import { formatBudgetUsd, formatBudgetUsdUp } from '../budgets/budgetText';
import { CapReachedError, InvalidRequestError, UserError } from '../errors';
import { usdToMicro } from '../pricing/cost';
import type { Progress } from '../handlers/handler';
import { localBranchNamed, openRepoWithHead, type RepoHead } from '../worktrees/repo';
import { terminalSafe } from '../util/terminalText';
import { slugify } from '../worktrees/slug';
import { createWorktree, mayStillBeAdding, undoUnfinishedCreate } from '../worktrees/worktrees';
import { errorMessage, WorktreeError } from '../worktrees/errors';
import { sandboxProblem, startProblem } from './preflight';
import { leastRequestUsd } from './leastRequest';
import { INITIAL_GUARD, type SessionRecord } from './sessionRecord';
import type { SessionManager } from './sessionManager';
import { recordedBaseURL } from '../settings';
import { folderWithin } from './workFolder';
import { emptySubmodules } from '../worktrees/submodulePaths';

const AGENTS: readonly AgentKind[] = ['builtin', 'codex', 'command'];
const APPROVALS: readonly ApprovalPolicy[] = ['auto', 'ask', 'read-only'];

/** Repositories being opened for sessions being created, by the path they were asked for. */
const opening = new Map<string, ReturnType<typeof openRepoWithHead>>();

/** How long a look stays shared once it is done: creates started together reach it at slightly different times. */
const SHARED_LOOK_MS = 250;

/**
 * Sessions created together (a fleet starts dozens at once) share one look at the repository and its HEAD:
 * they branch from the same moment either way, and each look is a git process forked from the host. A look
 * that has finished is still shared for a moment: on a busy machine git can answer before the last of a
 * batch of creates asks.
 */
function openSharedWithHead(repoPath: string): ReturnType<typeof openRepoWithHead> {
  let p = opening.get(repoPath);
  if (!p) {
    const look = openRepoWithHead(repoPath);
    p = look;
    opening.set(repoPath, look);
    const forget = () => {
      if (opening.get(repoPath) === look) opening.delete(repoPath);
    };
    // A failed look is not shared on: the next create tries again at once.
    look.then(() => setTimeout(forget, SHARED_LOOK_MS).unref(), forget);
  }
  return p;
}

/**
 * The branch a session starts from, which its work is merged back into: the one named, or the folder's
 * current one. A detached HEAD is named by its commit ('HEAD' would be read in the main checkout, not the
 * folder opened); its session's work stays on its own branch, for git to merge.
 */
async function baseOf(checkout: string, named: string | undefined, head: RepoHead): Promise<string> {
  if (!named || named === 'HEAD') return head.branch ?? head.commit;
  const found = await localBranchNamed(checkout, named);
  if ('branch' in found) return found.branch;
  if (found.not === null) throw new InvalidRequestError(`There is no branch "${named}" in this repository to start from. Nothing was made.`);
  throw new InvalidRequestError(`The base branch "${named}" is ${found.not}, not a local branch: a session's work is merged back into the branch it started from. Start it from a local branch (\`git branch NAME ${named}\` makes one there), or from the current one. Nothing was made.`);
}

export async function createSession(mgr: SessionManager, p: CreateSessionParams, progress: Progress): Promise<SessionInfo> {
  const ctx = mgr.ctx;
  const settings = ctx.settings();
  const task = p.task?.trim();
  if (!task) throw new InvalidRequestError('A session needs a task: say what the agent should do.');
  if (p.tier !== undefined && !TIERS.includes(p.tier)) throw new InvalidRequestError(`Tier must be one of ${TIERS.join(', ')}.`);
  // Budgets are kept in whole micro-dollars: one that rounds to none would stop before its first request.
  if (p.budgetUsd !== undefined && p.budgetUsd !== null && !(Number.isFinite(p.budgetUsd) && usdToMicro(p.budgetUsd) > 0)) {
    throw new InvalidRequestError('A session budget is a number of dollars, at least 0.000001 (a millionth of a dollar).');
  }
  const agent = p.agent ?? 'builtin';
  if (!AGENTS.includes(agent)) throw new InvalidRequestError(`Agent must be one of ${AGENTS.join(', ')}.`);
  if (agent === 'command' && !p.command?.trim()) throw new InvalidRequestError('A command session needs the command to run.');
  const approval = p.approval ?? settings.defaultApproval;
  if (!APPROVALS.includes(approval)) throw new InvalidRequestError(`Approval policy must be one of ${APPROVALS.join(', ')}.`);
  if (p.maxTurns !== undefined && !(Number.isInteger(p.maxTurns) && p.maxTurns > 0)) throw new InvalidRequestError('Max turns is a positive whole number.');

  let repo, head;
  try {
    ({ repo, head } = await openSharedWithHead(p.repo));
  } catch (err) {
    throw new InvalidRequestError(errorMessage(err));
  }
  const root = repo.identityRoot;
  const folder = folderWithin(repo.root, p.repo);
  if (repo.root === root) ctx.fingerprints.know(root, repo);
  await mgr.ensureRepo(root);
  const ignored: string[] = [];
  const roles = await loadRoles(root, msg => {
    ignored.push(msg);
    ctx.log('warn', msg);
  });
  const roleName = p.role ?? settings.defaultRole;
  const role = roles.find(r => r.name === roleName);
  if (!role) {
    // A role file that could not be read is the likelier story than a typo: say what was wrong with it.
    const why = ignored.find(m => m.includes(`${path.sep}${roleName}.md `));
    throw new InvalidRequestError(`There is no role "${roleName}"${why ? ` (${why})` : ''}. Roles: ${roles.map(r => r.name).join(', ')}.`);
  }

  // A role without run_command reads only, whatever was asked.
  const effectiveApproval: ApprovalPolicy = role.tools && !role.tools.includes('run_command') ? 'read-only' : approval;
  if (agent === 'command' && effectiveApproval === 'read-only') {
    const why = approval === 'read-only' ? 'it is read-only' : `its role "${role.name}" runs no command`;
    throw new InvalidRequestError(`A command session is its command, and this one would run none: ${why}. Nothing was made. Start it without read-only, with a role that runs commands (such as coder), or as the built-in agent.`);
  }
  // Before the worktree and branch: a session bound to fail would leave them behind.
  const problem = (await startProblem(settings, ctx.apiKey(), agent)) ?? (await sandboxProblem(settings, agent, effectiveApproval, ctx.refusesUnconfined));
  if (problem) throw new InvalidRequestError(problem);
  const model = p.model?.trim() || settings.model;
  // A command agent names its own models, and an unpriced one goes through whatever the caps say.
  const budgetUsd = p.budgetUsd !== undefined ? p.budgetUsd : role.budgetUsd ?? settings.budgets.sessionUsd;
  // Named as in the folder opened (its @ or @{-1}, in a worktree of the user's), where refs are the same.
  const base = await baseOf(repo.root, p.baseBranch?.trim(), head);
  const title = plainTitle(p.title?.trim() || firstLine(task)) || 'Untitled session';
  // The built-in agent's first request is known ahead; another agent's is not, and goes as the caps allow.
  const firstUsd = agent === 'builtin' ? leastRequestUsd(ctx.spend, settings, { model, role, task, base, branch: `switchyard/${slugify(title)}`, folder }) : null;
  const capped = agent !== 'command' && ctx.spend.isPriced(model) ? machineCapReached(mgr, firstUsd ?? 0) : undefined;
  if (capped) throw capped;
  const tooSmall = firstUsd !== null && budgetUsd !== null && budgetUsd < enoughFor(firstUsd) ? firstRequestUnaffordable(budgetUsd, model, firstUsd) : undefined;
  if (tooSmall) throw new InvalidRequestError(tooSmall);
  // Before the worktree: the less between its making and the record's saving, the better (unfinishedCreates.ts).
  const dirty = await mgr.checkoutLooks.dirtyFiles(repo.root, repo.gitCommonDir);
  progress.report(`Creating a worktree for "${title}"…`);
  await mgr.creations.recover(
    root,
    async () => new Set((await ctx.store.loadRepo(root, msg => ctx.log('warn', msg))).map(r => r.worktree)),
    planned => undoUnfinishedCreate(root, planned, { locksDir: ctx.home.locksDir }),
    msg => ctx.log('warn', msg),
  );
  let note: string | undefined;
  let created;
  try {
    created = await createWorktree({
      repoRoot: root,
      ...(repo.root === root ? { repo } : {}),
      worktreesDir: ctx.home.worktreesDir(root, settings.worktreesDir),
      base,
      slug: slugify(title),
      // A session's record keeps its branch's name, even once git has lost the branch, while it may still act on it.
      reserved: mgr.all().filter(s => s.record.repo === root && mayActOnBranch(s.record)).map(s => s.record.branch),
      locksDir: ctx.home.locksDir,
      beforeAdd: async planned => {
        note = await mgr.creations.begin(root, planned);
      },
      onAdding: gitPid => {
        if (note) mgr.creations.adding(note, gitPid);
      },
    });
  } catch (err) {
    // Undone already (or never made): the note has nothing to tell. A git that may still be adding is left
    // to the note, for a later process to undo once this one and the git have ended (unfinishedCreates.ts).
    if (note && !mayStillBeAdding(err)) await mgr.creations.finished(note);
    const message = `Could not create the session's worktree: ${errorMessage(err)}`;
    // A base that names no commit is the request's mistake; anything else went wrong on the way.
    throw err instanceof WorktreeError && (err.code === 'bad-ref' || err.code === 'bad-branch-name') ? new InvalidRequestError(message) : new UserError(message);
  }
  const now = new Date().toISOString();
  const record: SessionRecord = {
    version: 1,
    id: ctx.store.newId(),
    title,
    task,
    role: role.name,
    model,
    tier: p.tier ?? role.tier ?? settings.defaultTier,
    agent,
    ...(agent === 'command' ? { command: p.command!.trim() } : {}),
    approval: effectiveApproval,
    baseURL: recordedBaseURL(settings.baseURL),
    budgetUsd,
    maxTurns: p.maxTurns ?? settings.maxTurns,
    repo: root,
    ...(folder ? { folder } : {}),
    baseBranch: base,
    baseCommit: created.baseCommit,
    branch: created.branch,
    worktree: created.worktree,
    status: 'queued',
    createdAt: now,
    updatedAt: now,
    turns: 0,
    guard: INITIAL_GUARD,
    cacheBreaks: 0,
    cacheBreakLossUsd: 0,
    tierHistory: [],
  };
  // Before it is registered, and so queued: its notice comes before the agent's first words.
  const empty = await emptySubmodules(created.worktree);
  const s = mgr.register(record);
  // Kept if the record could not be saved: should this process end, the next creation looks at what it left.
  if (note) {
    const done = note;
    // A save that failed was logged, not thrown: the record on disk says whether it is there.
    void (async () => {
      await s.firstSaved;
      if (await ctx.store.read(root, record.id)) await mgr.creations.finished(done);
    })().catch(() => undefined);
  }
  if (empty.length) {
    s.transcript.append({
      kind: 'notice', ts: now, level: 'warning',
      text: `This repository's submodules (${empty.join(', ')}) are not checked out in the session's worktree: the agent sees their folders empty and cannot change them.`,
    });
  }
  if (dirty.length) {
    s.transcript.append({
      kind: 'notice', ts: now, level: 'warning',
      text: `Your checkout has ${dirty.length} uncommitted change(s); this session starts from the last commit of ${base} and does not see them.`,
    });
  }
  return mgr.info(s);
}

/**
 * Whether a session may still merge, discard, resume or delete its branch: all but one discarded without
 * its branch kept, and one merged whose worktree and branch are gone (both have nothing left to act on).
 */
function mayActOnBranch(r: SessionRecord): boolean {
  if (r.status === 'discarded') return r.branchKept === true;
  if (r.status === 'merged') return r.worktreeKept === true || r.branchKept === true;
  return true;
}

/**
 * What New Session shows before Start: the first request's least reservation for what it would start (the
 * base branch named, or the one checked out, as a start takes it).
 */
export async function firstRequestOf(mgr: SessionManager, p: FirstRequestParams): Promise<number | null> {
  const settings = mgr.ctx.settings();
  const task = p.task.trim();
  const { repo, head } = await openRepoWithHead(p.repo).catch(err => { throw new InvalidRequestError(errorMessage(err)); });
  const role = (await loadRoles(repo.identityRoot, () => undefined)).find(r => r.name === (p.role ?? settings.defaultRole));
  if (!role || !task) return null;
  const title = plainTitle(p.title?.trim() || firstLine(task)) || 'Untitled session';
  // As a start names it; one it would refuse is left to the start to say.
  const base = await baseOf(repo.root, p.baseBranch?.trim(), head).catch(() => p.baseBranch?.trim() || head.branch || head.commit);
  return leastRequestUsd(mgr.ctx.spend, settings, { model: p.model?.trim() || settings.model, role, task, base, branch: `switchyard/${slugify(title)}`, folder: folderWithin(repo.root, p.repo) });
}

/**
 * What a session budget must be for the built-in agent's first request, sized from what it sends at the
 * least: what it adds (a cache key, a retention) is a few tokens, which a tenth more covers. A budget under
 * it is refused before a worktree is made. Between the two, a session might pay for its first request (its
 * output cap shrunk to fit) or be made only to stop before it; the one figure named is the one held to.
 */
function enoughFor(neededUsd: number): number {
  return Math.ceil(neededUsd * 1.1 * 1e4) / 1e4;
}

/** A session budget that cannot pay for the built-in agent's first request, said before a worktree is made. */
function firstRequestUnaffordable(budgetUsd: number, model: string, needed: number): string {
  const enough = formatBudgetUsdUp(enoughFor(needed));
  return `A session budget of ${formatBudgetUsd(budgetUsd)} cannot pay for the first request, which reserves ${formatBudgetUsdUp(needed)} or more with ${model} (its instructions, tools and task at the dearest tier's prices, since a provider may serve another, and the fewest output tokens worth asking for). Give the session ${enough} or more; nothing was made.`;
}

/**
 * A day or month cap spent, or with less left than the first request reserves (`firstUsd`, 0 when not
 * known): the session would be over budget before its first request, so none is made.
 */
function machineCapReached(mgr: SessionManager, firstUsd: number): CapReachedError | undefined {
  const { dayUsd, monthUsd } = mgr.ctx.settings().budgets;
  const full = mgr.ctx.spend.budgetStatus({ sessionUsd: null, dayUsd, monthUsd }).find(b => b.capUsd - b.spentUsd < Math.max(firstUsd, 1e-9));
  if (!full || full.scope === 'session') return undefined;
  return new CapReachedError(capReachedText(full.scope, full.spentUsd, full.capUsd, firstUsd), full.scope === 'day' ? 'day-budget' : 'month-budget');
}

/** Why no session starts under a day or month cap (the editor offers to set that cap on these words). */
export function capReachedText(scope: 'day' | 'month', spentUsd: number, capUsd: number, firstUsd: number): string {
  const [name, until, key] = scope === 'day' ? ['daily', 'tomorrow', 'dayUsd'] : ['monthly', 'next month', 'monthUsd'];
  const state = spentUsd >= capUsd - 1e-9
    ? `is reached: ${formatBudgetUsd(spentUsd)} of ${formatBudgetUsd(capUsd)} spent`
    : `has ${formatBudgetUsd(capUsd - spentUsd)} left of ${formatBudgetUsd(capUsd)}, less than the first request reserves (${formatBudgetUsdUp(firstUsd)})`;
  return `The ${name} cap ${state}. No session starts until ${until}, or until the cap is raised (switchyard.budget.${key} in VS Code; "budgets" in the Switchyard home's config.json for the CLI).`;
}

/**
 * A title as terminals, tables and CSV show it: without escape sequences (colours, a window title, links) or
 * other control and direction-changing characters a paste can bring; tabs as spaces.
 */
function plainTitle(text: string): string {
  return shortened(terminalSafe(text.replace(/\t/g, ' '), false).trim(), TITLE_CHARS);
}

const TITLE_CHARS = 80;

/** At most `max` characters, cut at a word's end with an ellipsis (a title is a commit's subject line too). */
function shortened(text: string, max: number): string {
  if (text.length <= max) return text;
  // Never half of a character written as two UTF-16 units (an emoji): it would be saved as U+FFFD.
  const cut = text.slice(0, /[\ud800-\udbff]/.test(text[max - 2] ?? '') ? max - 2 : max - 1);
  const atWord = cut.lastIndexOf(' ') > max / 2 ? cut.slice(0, cut.lastIndexOf(' ')) : cut;
  return `${atWord.replace(/[\s,;:.\-–—]+$/, '')}…`;
}

function firstLine(task: string): string {
  const line = task.split('\n').find(l => l.trim()) ?? task;
  return line.replace(/^#+\s*/, '').trim();
}
