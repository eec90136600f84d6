// Resuming a session: only one whose agent has ended everywhere, that is not being merged or discarded,
// and whose caps leave room; taken for this process under the session's lock, so that of two windows
// resuming it at once one runs it, then queued.
import { RESUMABLE_STATUSES, type GuardState, type SessionInfo } from '../../protocol/types';
import { hintMessage } from '../agent/prompt';
import { formatBudgetUsd } from '../budgets/budgetKeeper';
import { UserError } from '../errors';
import type { LoopGuard } from '../guard/loopGuard';
import { readTraceFile } from '../guard/trace';
import { takenElsewhere } from './foreignOwner';
import { untrustedProblem, worktreeGoneProblem } from './preflight';
import type { LiveSession } from './liveSession';
import type { SessionManager } from './sessionManager';

export interface ResumeOptions {
  /** Turns allowed from here (the CLI's --max-turns): without it, a session at its turn limit gets the setting's number more. */
  moreTurns?: number;
}

export async function resumeSession(mgr: SessionManager, id: string, hint?: string, opts: ResumeOptions = {}): Promise<SessionInfo> {
  const s = mgr.get(id);
  const { ctx } = mgr;
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
  if (s.record.status === 'over-budget') {
    const status = await ctx.spend.budgetStatus(mgr.caps(s.record), s.id);
    const full = status.find(b => b.spentUsd + b.reservedUsd >= b.capUsd - 1e-6);
    if (full) {
      const how = full.scope === 'session' ? `Raise Budget in VS Code, or \`switchyard resume ${s.id} --budget USD\`` : `switchyard.budget.${full.scope}Usd in VS Code, or "budgets" in the Switchyard home's config.json`;
      throw new UserError(`The ${full.scope} budget (${formatBudgetUsd(full.capUsd)}) is used up; raise it before resuming (${how}).`);
    }
  }
  const rebuilt = ctx.gateway.guardOf(id) ? undefined : await guardFromTrace(mgr, s);
  const taken = await mgr.foreign.whileFree(s, () => {
    // Checked again on the newest record: another process may have resumed, merged or discarded it.
    resumable();
    if (hint?.trim()) addHint(s, hint);
    allowMoreTurns(s, opts.moreTurns ?? ctx.settings().maxTurns, opts.moreTurns !== undefined);
    if (rebuilt && !ctx.gateway.guardOf(id) && sameGuard(rebuilt.state, s.record.guard)) ctx.gateway.adoptGuard(s, rebuilt);
    try {
      ctx.gateway.guardOf(id)?.resume(hint);
    } catch {
      // The guard had stopped it; the user chose to go on, so it is judged afresh.
      ctx.gateway.resetGuard(id);
    }
    s.record.guard = { level: 'ok', spentSinceProgressUsd: 0, turnsSinceProgress: 0 };
    mgr.claim(s);
    mgr.setStatus(s, 'queued', hint ? 'Resumed with a hint.' : 'Resumed.');
  });
  if (!taken) throw new UserError(takenElsewhere(s));
  mgr.scheduler.enqueue(id);
  return mgr.info(s);
}

/**
 * The guard of a session another process ran (a CLI run, a window closed since), rebuilt from its trace: a
 * loop after the resume is still the same loop, as in the process that ran it. Undefined without a trace.
 */
async function guardFromTrace(mgr: SessionManager, s: LiveSession): Promise<LoopGuard | undefined> {
  if (!s.record.tracedTurns) return undefined;
  const turns = await readTraceFile(s.paths.trace).catch(() => undefined);
  return turns?.length ? mgr.ctx.gateway.guardAfter(s, turns) : undefined;
}

/**
 * Trusted only where it ended as the record says the live guard did: the trace does not say where the
 * session was resumed before, nor with which settings or in which kind of process it ran. Otherwise a fresh
 * guard judges it, as before.
 */
function sameGuard(rebuilt: GuardState, recorded: GuardState): boolean {
  return rebuilt.level === recorded.level && rebuilt.turnsSinceProgress === recorded.turnsSinceProgress;
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

/**
 * A queued session this process took over from one that is gone, without starting it (a CLI command,
 * EngineOptions.startsTakenOver): it goes into the run queue now, with the hint if any. Undefined when the
 * session is not such a one.
 */
export function queueTakenOver(mgr: SessionManager, id: string, hint?: string, opts: ResumeOptions = {}): SessionInfo | undefined {
  const s = mgr.get(id);
  if (s.record.status !== 'queued' || s.record.owner?.hostId !== mgr.ctx.hostId || s.run) return undefined;
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
  s.addNote(hintMessage(hint));
  s.transcript.append({ kind: 'user', ts: new Date().toISOString(), text: hint.trim() });
}

export function turnsWord(n: number, more = ''): string {
  return `${n}${more ? ` ${more}` : ''} ${n === 1 ? 'turn' : 'turns'}`;
}
