// Resuming a session: only one whose agent has ended everywhere, that is not being merged or discarded,
// and whose caps leave room; taken for this process under the session's lock, so that of two windows
// resuming it at once one runs it, then queued.
import { readFile } from 'node:fs/promises';
import { RESUMABLE_STATUSES, type AgentKind, type SessionInfo, type SessionStatus, type StatusCause } from '../../protocol/types';
import { formatBudgetUsd, formatBudgetUsdUp, refusalMessage } from '../budgets/budgetText';
import type { HostSettings } from '../../protocol/host';
import { CapReachedError, UserError } from '../errors';
import { usdToMicro } from '../pricing/cost';
import type { SpendService } from '../spend/spendService';
import type { LoopGuard } from '../guard/loopGuard';
import { parseTrace } from '../guard/trace';
import { INITIAL_GUARD } from './sessionRecord';
import { takenElsewhere } from './foreignOwner';
import { untrustedProblem, worktreeGoneProblem } from './preflight';
import { leastRequestOfSession } from './leastRequest';
import type { LiveSession } from './liveSession';
import type { SessionManager } from './sessionManager';

export interface ResumeOptions {
  /** Turns allowed from here (the CLI's --max-turns): without it, a session at its turn limit gets the setting's number more. */
  moreTurns?: number;
}

export async function resumeSession(mgr: SessionManager, id: string, hint?: string, opts: ResumeOptions = {}): Promise<SessionInfo> {
  const s = mgr.get(id);
  const { ctx } = mgr;
  // The session as the resume was asked for it: one resumed by another meanwhile is not resumed again unasked.
  const asked = { status: s.record.status, turns: s.record.turns, resumes: s.record.resumes ?? 0 };
  // Paused or stopped elsewhere, its agent may still be ending there: two agents in one worktree otherwise.
  await mgr.foreign.released(s, 'resume');
  const resumable = () => {
    const untrusted = untrustedProblem(ctx.settings(), 'resume');
    if (untrusted) throw new UserError(untrusted);
    if (s.underReview) throw new UserError(`${s.underReview}; it cannot be resumed meanwhile.`);
    if (!(RESUMABLE_STATUSES as readonly string[]).includes(s.record.status)) {
      const why = s.record.statusReason ? ` (${s.record.statusReason.replace(/\.$/, '')})` : '';
      throw new UserError(`Session "${s.record.title}" is ${s.record.status}${why}; only a paused, stuck, over-budget, failed or stopped session can be resumed.`);
    }
    const gone = worktreeGoneProblem(s.record);
    if (gone) throw new UserError(gone);
  };
  resumable();
  // A day or month cap spent, or too small for its next request, would pause it again at once: said now,
  // and the session left as it is (a turn limit's cause too), whatever its status.
  const machine = machineCapSpent(ctx.spend, ctx.settings(), s.record, await leastToResume(ctx.spend, ctx.settings(), s.record));
  if (machine) throw machine;
  const short = stillTooSmall(mgr, s);
  if (short) throw short;
  if (s.record.status === 'over-budget') {
    const own = (await ctx.spend.budgetStatus(mgr.caps(s.record), s.id)).find(b => b.scope === 'session' && b.spentUsd + b.reservedUsd >= b.capUsd - 1e-6);
    if (own) {
      throw new CapReachedError(`The session's budget (${formatBudgetUsd(own.capUsd)}) is used up; raise it before resuming (Raise Budget in VS Code, or \`switchyard resume ${s.id} --budget USD\`).`, 'session-budget');
    }
  }
  const traced = await fromTrace(mgr, s);
  const taken = await mgr.foreign.whileFree(s, () => {
    // Checked again on the newest record: another process may have resumed, merged or discarded it.
    resumable();
    const ranMeanwhile = resumedSince(s, asked);
    if (ranMeanwhile) throw new UserError(ranMeanwhile);
    if (hint?.trim()) addHint(s, hint);
    allowMoreTurns(s, opts.moreTurns ?? ctx.settings().maxTurns, opts.moreTurns !== undefined);
    adoptTraced(mgr, s, traced);
    ctx.gateway.guardOf(id)?.resume(hint);
    // Where the guard stands now, on disk too: a run that ends before its first turn must not reset it.
    s.record.guard = ctx.gateway.guardOf(id)?.state ?? { ...INITIAL_GUARD };
    mgr.claim(s);
    s.record.resumes = (s.record.resumes ?? 0) + 1;
    mgr.setStatus(s, 'queued', hint ? 'Resumed with a hint.' : 'Resumed.');
  });
  if (!taken) throw new UserError(takenElsewhere(s));
  mgr.scheduler.enqueue(id);
  return mgr.info(s);
}

/**
 * The day or month cap spent, or with less left than the session's next request reserves at the least
 * (`leastUsd`, leastRequestOfSession): it would pause again at its first request, so a resume says it and
 * changes nothing. As for a new session, not for a command agent or a model without a price: the caps let
 * their requests through (no dollar figure can hold them). What others hold is not counted: it frees up.
 */
export function machineCapSpent(spend: SpendService, settings: HostSettings, r: { agent: AgentKind; model: string }, leastUsd: number | null = null): CapReachedError | undefined {
  if (r.agent === 'command' || !spend.isPriced(r.model)) return undefined;
  const { dayUsd, monthUsd } = settings.budgets;
  const least = leastUsd ?? 0;
  // In micro-dollars, as the budgets count: exactly the least left goes on.
  const full = spend.budgetStatus({ sessionUsd: null, dayUsd, monthUsd }).find(b => b.scope !== 'session' && (b.spentUsd >= b.capUsd - 1e-6 || usdToMicro(b.capUsd) - usdToMicro(b.spentUsd) < usdToMicro(least)));
  if (!full) return undefined;
  const [name, key] = full.scope === 'day' ? ['daily', 'dayUsd'] : ['monthly', 'monthUsd'];
  const state = full.spentUsd >= full.capUsd - 1e-6
    ? `is reached: ${formatBudgetUsd(full.spentUsd)} of ${formatBudgetUsd(full.capUsd)} spent`
    : `has ${formatBudgetUsd(full.capUsd - full.spentUsd)} left of ${formatBudgetUsd(full.capUsd)}, less than its next request reserves at the least (${formatBudgetUsdUp(least)})`;
  return new CapReachedError(`The ${name} cap ${state}. Nothing was changed; raise it (switchyard.budget.${key} in VS Code; "budgets" in the Switchyard home's config.json for the CLI), then resume.`, full.scope === 'day' ? 'day-budget' : 'month-budget');
}

/**
 * What a resume is held to under the day and month caps, beyond their being spent: the least its next
 * request reserves. Not for a session the day or month cap stopped at a known request: stillTooSmall says
 * that one with the figure it stopped at.
 */
export function leastToResume(spend: SpendService, settings: HostSettings, r: Parameters<typeof leastRequestOfSession>[2] & { status: SessionStatus; overBudgetNeedUsd?: number; statusCause?: StatusCause }): Promise<number | null> {
  const machineStopped = r.statusCause === 'day-budget' || r.statusCause === 'month-budget';
  if (r.status === 'over-budget' && r.overBudgetNeedUsd !== undefined && machineStopped) return Promise.resolve(null);
  return leastRequestOfSession(spend, settings, r);
}

/**
 * A session a cap stopped, resumed with no more room under some cap: the built-in agent's next request
 * resends the whole conversation, at least the request the cap refused, so it would stop again at once.
 * Every cap is held to that figure, the one that stopped it first: a day cap raised leaves the month's.
 * Said now, and the session left as it is. (What others hold is not counted: it frees up as they end.)
 */
function stillTooSmall(mgr: SessionManager, s: LiveSession): CapReachedError | undefined {
  const r = s.record;
  const cause = r.statusCause;
  const needed = r.overBudgetNeedUsd;
  if (r.status !== 'over-budget' || r.agent !== 'builtin' || needed === undefined) return undefined;
  const stoppedBy = SCOPE_OF_CAUSE.find(([c]) => c === cause)?.[1];
  if (!stoppedBy) return undefined;
  const scopes = [stoppedBy, ...SCOPE_OF_CAUSE.map(([, scope]) => scope).filter(x => x !== stoppedBy)];
  const status = mgr.ctx.spend.budgetStatus(mgr.caps(r), s.id);
  // In micro-dollars, as the budgets and the CLI's check count: a budget of exactly spent + need goes on.
  const b = scopes.map(scope => status.find(x => x.scope === scope)).find(x => x && usdToMicro(x.capUsd) - usdToMicro(x.spentUsd) < usdToMicro(needed));
  if (!b) return undefined;
  const raise = b.scope === 'session'
    ? `raise it before resuming (Raise Budget in VS Code, or \`switchyard resume ${r.id} --budget USD\`)`
    : `raise it (switchyard.budget.${b.scope}Usd in VS Code; "budgets" in the Switchyard home's config.json for the CLI), then resume`;
  const scopeCause = SCOPE_OF_CAUSE.find(([, scope]) => scope === b.scope)![0];
  return new CapReachedError(`${refusalMessage({ ...b, reservedUsd: 0, neededUsd: needed })} Nothing was changed; ${raise}.`, scopeCause);
}

const SCOPE_OF_CAUSE = [['session-budget', 'session'], ['day-budget', 'day'], ['month-budget', 'month']] as const;

/**
 * Why a session resumed by another resume since this one was asked is not resumed again: two resumes at
 * once, the second waiting for the first's run to end, would run it again, past the turns or the hint the
 * first was given. (A pause or a stop elsewhere meanwhile is no reason: the user resumes what they see.)
 * Undefined when nobody resumed it since.
 */
function resumedSince(s: LiveSession, asked: { status: SessionStatus; turns: number; resumes: number }): string | undefined {
  const { title, status, turns, statusReason } = s.record;
  if ((s.record.resumes ?? 0) === asked.resumes) return undefined;
  const ran = turns > asked.turns ? ` for ${turnsWord(turns - asked.turns)}` : '';
  const why = statusReason ? ` (${statusReason.replace(/\.$/, '')})` : '';
  return `"${title}" was ${asked.status} when this resume was asked; another resume has run it since${ran}, and it is ${status} now${why}. Nothing was resumed: look at it, then resume it again if it should go on.`;
}

/** What a session's trace says, for a process whose guard for it is missing or stale; read as of `record`. */
interface Traced {
  guard?: LoopGuard;
  lastTurn: number;
  record: { tracedTurns?: number; guardTurn?: number };
}

/**
 * The trace of a session another process ran since this one last did, if any (a CLI run, a window closed
 * since): its last turn, and its guard rebuilt, so that a loop after the resume is still the same loop, as
 * in the process that ran it. The guard is trusted only where it stood as the record says the live one did
 * after the turn it judged last: the trace does not say where the session was resumed before, nor with which
 * settings or in which kind of process it ran. Otherwise a fresh guard judges it, as before.
 */
async function fromTrace(mgr: SessionManager, s: LiveSession): Promise<Traced | undefined> {
  const here = mgr.ctx.gateway.tracedTurnsOf(s.id);
  // This process's guard is the session's own, unless another process traced turns since.
  if (here !== undefined && here === (s.record.tracedTurns ?? 0)) return undefined;
  const record = { tracedTurns: s.record.tracedTurns, guardTurn: s.record.guardTurn };
  const text = await readFile(s.paths.trace, 'utf8').catch(() => '');
  const turns = parseTrace(text, s.paths.trace, true);
  // Older records have no guardTurn: their last traced turn is the nearest.
  const judgedUpTo = record.guardTurn ?? record.tracedTurns ?? 0;
  const saved = s.record.guard;
  const agrees = (g: LoopGuard) => g.state.level === saved.level && g.state.turnsSinceProgress === saved.turnsSinceProgress;
  // A run's last response, traced as it ended, was never judged: its calls' outputs were never seen.
  const judged = turns.filter(x => !x.closed);
  const guard = mgr.ctx.gateway.guardAfter(s, judged, { upTo: judgedUpTo, agrees });
  return { guard, lastTurn: turns.at(-1)?.turn ?? 0, record };
}

/**
 * Takes what the trace said, unless another process has run the session since it was read: the rebuilt
 * guard (in place of a stale one), and turn numbers that go on from the trace's last, which is ahead of the
 * record when its process ended between tracing a turn and saving.
 */
function adoptTraced(mgr: SessionManager, s: LiveSession, traced: Traced | undefined): void {
  if (!traced || traced.record.tracedTurns !== s.record.tracedTurns || traced.record.guardTurn !== s.record.guardTurn) return;
  const { gateway } = mgr.ctx;
  gateway.unregister(s.id);
  s.record.tracedTurns = Math.max(s.record.tracedTurns ?? 0, traced.lastTurn);
  if (traced.guard) gateway.adoptGuard(s, traced.guard);
}

/**
 * The workspace is trusted: the sessions Restricted Mode paused go on, as queued sessions would have. Read
 * from their records (the process that paused one may have ended since); one the user or another process
 * has moved since (resumed, stopped, merged) is left as it is.
 */
export async function resumeUntrusted(mgr: SessionManager): Promise<void> {
  const untrusted = (s: LiveSession) => s.record.status === 'paused' && s.record.statusCause === 'untrusted';
  for (const s of mgr.all().filter(untrusted)) {
    if (!untrusted(s)) continue;
    try {
      await resumeSession(mgr, s.id);
    } catch (err) {
      mgr.ctx.log('warn', `Resuming "${s.record.title}" now that the workspace is trusted: ${(err as Error).message}`);
    }
  }
}

/** Left queued by a run that is gone and taken over by this process as it was found: nothing runs it yet. */
export function queuedAndTakenOver(mgr: SessionManager, id: string): boolean {
  const s = mgr.get(id);
  return s.record.status === 'queued' && s.record.owner?.hostId === mgr.ctx.hostId && !s.run;
}

/**
 * A queued session this process took over from one that is gone, without starting it (a CLI command,
 * EngineOptions.startsTakenOver): it goes into the run queue now, with the hint if any. Undefined when the
 * session is not such a one.
 */
export async function queueTakenOver(mgr: SessionManager, id: string, hint?: string, opts: ResumeOptions = {}): Promise<SessionInfo | undefined> {
  const s = mgr.get(id);
  const takenOver = () => queuedAndTakenOver(mgr, id);
  if (!takenOver()) return undefined;
  // Run before by the process that is gone, perhaps: its guard goes on here as it stood.
  const traced = await fromTrace(mgr, s);
  if (!takenOver()) return undefined;
  adoptTraced(mgr, s, traced);
  if (hint?.trim()) addHint(s, hint);
  if (opts.moreTurns !== undefined) allowMoreTurns(s, opts.moreTurns, true);
  mgr.scheduler.enqueue(id);
  return mgr.info(s);
}

/**
 * A session that stopped at its turn limit and is resumed gets as many turns again (the setting's): the
 * user chose to go on, and the limit it reached would end the run before its first request. Turns asked
 * for (`exact`) are allowed from here whatever the limit was.
 */
function allowMoreTurns(s: LiveSession, more: number, exact: boolean): void {
  const r = s.record;
  // Only the built-in agent has a turn limit; other agents' turns are their requests.
  if (r.agent !== 'builtin' || (!exact && r.turns < r.maxTurns)) return;
  const reached = r.turns >= r.maxTurns;
  r.maxTurns = r.turns + more;
  const why = reached ? 'It had reached its limit of turns; ' : '';
  s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'info', text: `${why}${turnsWord(more, 'more')} ${more === 1 ? 'is' : 'are'} allowed (up to ${r.maxTurns}).` });
}

function addHint(s: LiveSession, hint: string): void {
  s.addHint(hint);
  s.transcript.append({ kind: 'user', ts: new Date().toISOString(), text: hint.trim() });
}

export function turnsWord(n: number, more = ''): string {
  return `${n}${more ? ` ${more}` : ''} ${n === 1 ? 'turn' : 'turns'}`;
}
