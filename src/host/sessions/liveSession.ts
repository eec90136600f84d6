// One session while the host knows it: its record, its transcript, and the link the gateway talks to.
// Decisions from the gateway (usage, cache breaks, loop guard, budget) land here and become status
// changes, transcript events and notes for the agent.
import type { TraceTurn, UsageRecord } from '../../protocol/records';
import type { SessionAlert } from '../../protocol/sessions';
import type { SessionStatus, StatusCause, Tier } from '../../protocol/types';
import { ACTIVE_STATUSES } from '../../protocol/types';
import type { ConversationItem } from '../agent/conversation';
import { hintMessage, tierChangeMessage } from '../agent/prompt';
import { formatBudgetUsd } from '../budgets/budgetText';
import type { CacheReference } from '../gateway/cacheInsight';
import { HELD_WAIT_MS } from '../gateway/pipeline';
import type { BudgetCaps, CacheBreak, GatewaySession, Refusal } from '../gateway/sessionLink';
import type { GuardDecision } from '../guard/loopGuard';
import type { SessionRecord } from './sessionRecord';
import type { SessionPaths } from './sessionStore';
import { TranscriptLog } from './transcript';

/** What a live session needs from its manager. */
export interface SessionHost {
  caps(record: SessionRecord): BudgetCaps;
  /** False when the status was already so (nothing saved). */
  setStatus(s: LiveSession, status: SessionStatus, reason?: string, cause?: StatusCause): boolean;
  changed(s: LiveSession): void;
  spendChanged(): void;
  alert(s: LiveSession, kind: SessionAlert['kind'], message: string, extra?: Pick<SessionAlert, 'capScope' | 'stopped'>): void;
  fingerprint(s: LiveSession): Promise<{ hash: string; changed: string[] } | undefined>;
  save(s: LiveSession): void;
  appendTrace(s: LiveSession, turn: TraceTurn): void;
  tierChanged(s: LiveSession, tier: Tier): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface RunHandle {
  abort: AbortController;
  done: Promise<void>;
}

const now = () => new Date().toISOString();
const LOWER_TIER: Record<Tier, Tier | undefined> = { priority: 'standard', standard: 'flex', flex: undefined };
const TIER_RANK: Record<Tier, number> = { flex: 0, standard: 1, priority: 2 };

export class LiveSession implements GatewaySession {
  readonly transcript: TranscriptLog;
  run: RunHandle | undefined;
  /** A merge or discard of it is under way here: it is not resumed meanwhile. */
  reviewing: 'merge' | 'discard' | undefined;
  token: string | undefined;
  /**
   * A new session's first save: its agent starts only once the record is on disk, so that a host killed
   * right after leaves a session the next one finds (paused), not a worktree nobody knows of.
   */
  firstSaved: Promise<void> | undefined;
  /** Messages for the built-in agent to add before its next request (tier changes, hints). */
  private notes: ConversationItem[] = [];
  private nudge: string | undefined;
  /** The session was told once that its model has no price. */
  private unpricedNoted = false;
  /** When a silent model server was last said (its notice comes once for requests waiting together). */
  private silenceSaidAt = 0;
  private readonly tierUnpricedNoted = new Set<string>();
  /** What the built-in agent's tools did since the last fingerprint (its tools say what they change). */
  private effects: { ranCommand: boolean; files: Set<string> } | undefined;

  constructor(
    public record: SessionRecord,
    readonly paths: SessionPaths,
    private readonly host: SessionHost,
  ) {
    this.transcript = new TranscriptLog(paths.transcript, err => host.log('error', `Session ${record.id}: its transcript could not be written (${err.message}); it is kept in memory and written when it can be.`));
  }

  get id(): string {
    return this.record.id;
  }

  /** `"Title" is being merged` (or discarded) while a merge or discard of it is under way here; else undefined. */
  get underReview(): string | undefined {
    return this.reviewing && `"${this.record.title}" is being ${this.reviewing === 'merge' ? 'merged' : 'discarded'}`;
  }
  get repo(): string {
    return this.record.repo;
  }
  get role(): string {
    return this.record.role;
  }
  get model(): string {
    return this.record.model;
  }

  tier(): Tier {
    return this.record.tier;
  }

  caps(): BudgetCaps {
    return this.host.caps(this.record);
  }

  refusal(): Refusal | undefined {
    const r = this.record;
    const why = r.statusReason ? ` ${r.statusReason}` : '';
    switch (r.status) {
      case 'over-budget':
        return { status: 402, code: 'switchyard_budget_exceeded', message: `Switchyard: this session is paused over budget.${why}` };
      case 'stuck':
        return { status: 403, code: 'switchyard_session_stuck', message: `Switchyard: the loop guard paused this session.${why}` };
      case 'paused':
        return { status: 403, code: 'switchyard_session_paused', message: 'Switchyard: this session is paused.' };
      default:
        return (ACTIVE_STATUSES as readonly string[]).includes(r.status)
          ? undefined
          : { status: 403, code: 'switchyard_session_closed', message: `Switchyard: this session is ${r.status}; it makes no more requests.` };
    }
  }

  noteToolEffects(ranCommand: boolean, files: readonly string[]): void {
    this.effects ??= { ranCommand: false, files: new Set() };
    this.effects.ranCommand ||= ranCommand;
    for (const f of files) this.effects.files.add(f);
  }

  /**
   * The built-in agent's file tools report their changes, so only a turn that ran a command needs git to
   * look at the whole worktree; external agents are always looked at.
   */
  fingerprint(): Promise<{ hash?: string; changed: string[] } | undefined> {
    const effects = this.effects;
    this.effects = undefined;
    if (this.record.agent === 'builtin' && !effects?.ranCommand) return Promise.resolve({ changed: [...(effects?.files ?? [])].sort() });
    return this.host.fingerprint(this);
  }

  onUsage(record: UsageRecord, cachedShare: number): void {
    // The built-in agent counts its turns itself, after the response (so this usage belongs to the next
    // one); for an external agent, each model response is a turn.
    if (this.record.agent !== 'builtin') this.record.turns++;
    const turn = this.record.agent === 'builtin' ? this.record.turns + 1 : this.record.turns;
    this.transcript.append({ kind: 'usage', ts: record.ts, turn, record, cachedShare });
    this.host.changed(this);
    this.host.spendChanged();
  }

  onCacheBreak(b: CacheBreak): void {
    this.record.cacheBreaks++;
    this.record.cacheBreakLossUsd += b.lostUsd;
    this.transcript.append({ kind: 'cache-break', ts: now(), turn: this.record.turns + 1, reason: b.reason, segment: b.segment, lostUsd: b.lostUsd });
    this.host.save(this);
    this.host.changed(this);
  }

  onCacheReference(ref: CacheReference): void {
    // Saved with the record's next save (this response's usage, or the run's end).
    this.record.cacheReference = ref;
  }

  cacheReference(): CacheReference | undefined {
    return this.record.cacheReference;
  }

  recordTurn(turn: TraceTurn): void {
    this.record.tracedTurns = turn.turn;
    this.host.appendTrace(this, turn);
  }

  tracedTurns(): number {
    return this.record.tracedTurns ?? 0;
  }

  onGuard(d: GuardDecision): void {
    const before = this.record.guard;
    this.record.guardTurn = d.turn;
    this.record.guard = {
      level: d.level,
      reason: d.reason ?? (d.level === 'ok' ? undefined : before.reason),
      spentSinceProgressUsd: d.spentSinceProgressUsd,
      turnsSinceProgress: d.turnsSinceProgress,
    };
    const reason = d.reason ?? 'the agent repeats itself without progress';
    const spent = `${formatBudgetUsd(d.spentSinceProgressUsd)} spent since the last progress`;
    if (d.action === 'none') {
      if (before.level !== d.level) this.host.changed(this);
      return;
    }
    this.transcript.append({ kind: 'guard', ts: now(), level: d.level, reason: `${reason} (${spent})` });
    if (d.action === 'nudge') {
      this.nudge = d.nudge ?? `Switchyard's loop guard noticed: ${reason}. Change your approach, or stop and explain what blocks you (call finish, if you have it).`;
      this.host.alert(this, 'warn', `${reason} (${spent}).`);
    } else if (d.action === 'downgrade') {
      const lower = d.downgradeTo ?? LOWER_TIER[this.record.tier];
      // Only ever down: a guard that lost track of a tier the user chose must not raise it.
      // The guard's reason already says "tier lowered from … to …", which the tier change's notice says too.
      const why = reason.replace(/^Still looping after the warning, tier lowered from \w+ to \w+: /, '');
      if (lower && TIER_RANK[lower] < TIER_RANK[this.record.tier]) this.changeTier(lower, `the loop guard lowered it, still looping after its warning: ${why}`, 'the loop guard lowered it (its reason is above)');
    } else {
      // The guard's reason says which step it is (paused for the user, or stopped). Looping again after a
      // resume, it is stopped as it says: nothing to resume unasked, no Stop left to press.
      const status = d.final ? 'stopped' : 'stuck';
      // A turn already under way when it was held is judged again: said once.
      if (this.record.status !== status) {
        this.host.setStatus(this, status, `Loop guard: ${reason} (${spent}).`);
        this.host.alert(this, 'stuck', `${reason} (${spent}).`, d.final ? { stopped: true } : {});
      }
      this.run?.abort.abort();
    }
    this.host.save(this);
    this.host.changed(this);
  }

  onBudgetWait(message: string, scope: 'session' | 'day' | 'month'): void {
    const holders = scope === 'session' ? "This session's own requests in flight hold it" : 'Other sessions hold it for their requests in flight';
    this.transcript.append({
      // A warning: the caps are close, which whoever runs the fleet wants to know.
      kind: 'notice', ts: now(), level: 'warning',
      text: `Waiting for budget headroom: ${message} ${holders}; this one goes on as they finish (up to ${HELD_WAIT_MS / 60_000} minutes, then it pauses).`,
    });
  }

  onRateLimitWait(ms: number, reason: string): void {
    this.transcript.append({ kind: 'notice', ts: now(), level: 'info', text: `Waiting ${Math.ceil(ms / 1000)} s before the next request: ${reason}.` });
  }

  onUpstreamSilent(silentMs: number, limitMs: number, tier: Tier): void {
    // Once for requests sent side by side, or one after another into the same silence.
    const at = Date.now();
    if (at - this.silenceSaidAt < silentMs) return;
    this.silenceSaidAt = at;
    const limit = `${Math.round(limitMs / 60_000)} minutes`;
    this.transcript.append({ kind: 'notice', ts: now(), level: 'info', text: `The model server has not answered for ${Math.round(silentMs / 1000)} s; still waiting (up to ${limit}${tier === 'flex' ? ': flex requests may queue for capacity' : ''}).` });
  }

  onOverBudget(message: string, scope: 'session' | 'day' | 'month', neededUsd?: number): void {
    const needChanged = this.record.overBudgetNeedUsd !== neededUsd;
    this.record.overBudgetNeedUsd = neededUsd;
    // A status change saves the record; where the status was already this one, the need alone is saved here.
    if (!this.host.setStatus(this, 'over-budget', message, `${scope}-budget`) && needChanged) this.host.save(this);
    this.host.alert(this, 'over-budget', message, { capScope: scope });
    this.run?.abort.abort();
  }

  onUnpriced(model: string): void {
    if (this.unpricedNoted) return;
    this.unpricedNoted = true;
    this.transcript.append({ kind: 'notice', ts: now(), level: 'warning', text: `${model} has no price (switchyard.prices in VS Code can give it one, or "prices" in the Switchyard home's config.json): its tokens are counted, but no dollar budget can limit them.` });
  }

  onTierUnpriced(model: string, tier: string): void {
    const key = `${model} ${tier}`;
    if (this.tierUnpricedNoted.has(key)) return;
    this.tierUnpricedNoted.add(key);
    this.transcript.append({ kind: 'notice', ts: now(), level: 'warning', text: `${model} has no price for the ${tier} tier that served it: such responses are counted at its dearest known price, shown as an estimate, so the budgets count them (switchyard.prices in VS Code can give it one, or "prices" in the Switchyard home's config.json).` });
  }

  pendingNudge(): string | undefined {
    return this.nudge;
  }

  nudgeDelivered(nudge: string): void {
    // Another added since (a hint after the guard's nudge) waits for the next request. Said once, though
    // requests sent side by side may each have carried it.
    if (this.nudge === nudge) this.nudge = undefined;
    else if (this.nudge?.startsWith(`${nudge}\n\n`)) this.nudge = this.nudge.slice(nudge.length + 2);
    else return;
    this.transcript.append({ kind: 'notice', ts: now(), level: 'warning', text: `Told the agent with its request: ${nudge}` });
  }

  /**
   * A tier change is recorded and told to the agent as a new message; earlier messages never change.
   * `said`: the transcript's words for why, where something just above says it in full (the guard's callout).
   */
  changeTier(to: Tier, why: string, said = why): boolean {
    const from = this.record.tier;
    if (from === to) return false;
    this.record.tier = to;
    this.record.tierHistory.push({ at: now(), from, to, why });
    this.notes.push(tierChangeMessage(from, to, why));
    this.host.tierChanged(this, to);
    this.transcript.append({ kind: 'notice', ts: now(), level: 'info', text: `Tier changed from ${from} to ${to}: ${said}.` });
    this.host.save(this);
    this.host.changed(this);
    return true;
  }

  /**
   * The user's hint, for the agent's next request. The built-in agent reads it as a message of its
   * conversation; any other agent is told it by the gateway, as a nudge is.
   */
  addHint(hint: string): void {
    if (this.record.agent === 'builtin') this.notes.push(hintMessage(hint));
    else this.nudge = [this.nudge, `Hint from the user, who reviewed your progress: ${hint.trim()}`].filter(Boolean).join('\n\n');
  }

  takeNotes(): ConversationItem[] {
    const n = this.notes;
    this.notes = [];
    return n;
  }
}
