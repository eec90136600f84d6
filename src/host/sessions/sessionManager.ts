// Sessions: the map of live sessions, their state machine, persistence and notifications. Creation,
// resuming, pausing and stopping, review and the agent runs are in their own modules; this one decides
// what state a session is in.
import type { TraceTurn } from '../../protocol/records';
import type { ChangesResult, CreateSessionParams, DiscardParams, DiscardResult, MergeParams, MergeResult, SessionAlert, TranscriptResult } from '../../protocol/sessions';
import type { Progress } from '../handlers/handler';
import { errorMessage } from '../worktrees/errors';
import { openRepo } from '../worktrees/repo';
import { createSession } from './createSession';
import { discardSession, fileAtBase, mergeSession, pruneWorktrees, sessionChanges } from './reviewSession';
import { ACTIVE_STATUSES, RUNNABLE_STATUSES, type SessionInfo, type SessionStatus, type StatusCause, type Tier } from '../../protocol/types';
import type { BudgetCaps } from '../gateway/sessionLink';
import { InvalidRequestError, stackOf, UserError } from '../errors';
import type { SessionContext } from './context';
import { LiveSession, type SessionHost } from './liveSession';
import { pauseForShutdown, pauseSession, stopSession } from './pauseStop';
import { resumeSession, resumeUntrusted, type ResumeOptions } from './resumeSession';
import { startRun } from './runSession';
import { Scheduler } from './scheduler';
import { MachineSlots } from './machineSlots';
import { MachineWait } from './machineWait';
import { SessionNotifier } from './notifier';
import { SessionTraces } from './traces';
import { CheckoutLooks } from './checkoutLooks';
import { UnfinishedCreates } from './unfinishedCreates';
import { LauncherPolicy } from './launcherPolicy';
import type { SessionRecord } from './sessionRecord';
import { setRecordStatus, toInfo } from './sessionRecord';
import { asTakenOver, heldRunningHere, ownerHere } from './ownership';
import type { OwnerChange } from './ownerRequests';
import { ForeignOwner } from './foreignOwner';
import { OtherProcesses } from './otherProcesses';

const POLL_MS = 1000;

export class SessionManager implements SessionHost {
  private readonly sessions = new Map<string, LiveSession>();
  private readonly loadedRepos = new Map<string, Promise<void>>();
  private readonly notifier: SessionNotifier;
  /** The run queue moved since the last notification: queued sessions' positions changed. */
  private queueMoved = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly watched = new Set<string>();
  readonly scheduler: Scheduler;
  private readonly slots: MachineSlots;
  private readonly machineWait: MachineWait;
  readonly checkoutLooks = new CheckoutLooks();
  readonly creations: UnfinishedCreates;
  private readonly launcher = new LauncherPolicy();
  private readonly waiters = new Set<() => void>();
  private readonly traces: SessionTraces;
  /** Sessions another live process holds: changes are asked of it. */
  readonly foreign: ForeignOwner;
  private readonly others = new OtherProcesses(this);
  private trusted: boolean;

  constructor(readonly ctx: SessionContext) {
    const limit = () => ctx.settings().maxConcurrentSessions;
    this.trusted = ctx.settings().workspaceTrusted;
    this.slots = new MachineSlots(ctx.home.slotsDir, ctx.home.locksDir, ctx.hostId, ctx.beats, msg => ctx.log('warn', msg));
    this.scheduler = new Scheduler(limit(), id => this.startQueued(id), this.slots, {
      onRunningCount: n => this.launcher.runningCount(n), onMachineWait: () => this.machineWait.changed(),
      onError: err => ctx.log('error', `Starting a queued session: ${stackOf(err)}`),
    });
    this.machineWait = new MachineWait(this.scheduler, limit, () => this.all(), s => this.changed(s));
    this.traces = new SessionTraces(msg => ctx.log('warn', msg));
    this.creations = new UnfinishedCreates(ctx.home.creatingDir);
    this.notifier = new SessionNotifier(ids => this.changedInfos(ids), sessions => ctx.sink.sessionsChanged(sessions, []));
    this.foreign = new ForeignOwner({
      hostId: ctx.hostId, store: ctx.store, requestsDir: ctx.home.requestsDir, locksDir: ctx.home.locksDir, beats: ctx.beats,
      adopt: r => void this.adopt(r), log: (level, msg) => ctx.log(level, msg),
    });
    this.pollTimer = setInterval(() => void this.others.poll(), POLL_MS);
    this.pollTimer.unref();
  }

  count(): number {
    return this.sessions.size;
  }

  get(id: string): LiveSession {
    const s = this.sessions.get(id);
    if (!s) throw new UserError(`No session with id ${id}.`);
    return s;
  }

  find(id: string): LiveSession | undefined {
    return this.sessions.get(id);
  }

  all(): LiveSession[] {
    return [...this.sessions.values()];
  }

  info(s: LiveSession): SessionInfo {
    const runsHere = s.run !== undefined || heldRunningHere(s.record, this.ctx.hostId);
    return this.machineWait.info(toInfo(s.record, this.ctx.spend.sessionSpend(s.id), this.scheduler.position(s.id), runsHere));
  }

  /** Loads a repository's sessions once; running ones left by a dead process come back paused. */
  ensureRepo(repo: string): Promise<void> {
    let p = this.loadedRepos.get(repo);
    if (!p) {
      p = this.loadRepo(repo);
      this.loadedRepos.set(repo, p);
    }
    return p;
  }

  /** The repositories whose sessions are loaded here. */
  loadedRepoKeys(): IterableIterator<string> {
    return this.loadedRepos.keys();
  }

  private async loadRepo(repo: string): Promise<void> {
    const records = await this.ctx.store.loadRepo(repo, msg => this.ctx.log('warn', msg));
    records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    for (const r of records) this.adopt(r);
    // The meter may have named them before they were loaded: by id, or as another repository's.
    this.ctx.spend.changed();
    await this.others.recoverOrphans();
    // Paused by a window in Restricted Mode that has ended since: a window that trusts the folder lets them go on.
    if (!this.ctx.headless && !this.ctx.passive && this.ctx.settings().workspaceTrusted) void resumeUntrusted(this);
    // A worktree folder deleted or moved by hand is left registered, its session as it was: its branch still
    // merges, a discard forgets it, and a moved one can be repaired (`git worktree repair`), which it could
    // not once forgotten. Clean Up Orphaned Worktrees forgets them when the user asks.
  }

  /**
   * Takes a record from disk into the map. What a crashed process left running or queued is taken over by
   * the caller's next `others.recoverOrphans()`, under the session's lock: another host may be at it too.
   */
  adopt(r: SessionRecord): LiveSession {
    const existing = this.sessions.get(r.id);
    if (existing?.run) return existing;
    const s = existing ?? new LiveSession(r, this.ctx.store.paths(r.repo, r.id), this);
    s.record = r;
    this.sessions.set(r.id, s);
    // A reader (the CLI's `sessions`) writes nothing, but shows what the next host will make of it.
    if (this.ctx.passive) s.record = asTakenOver(r, this.ctx.hostId, this.ctx.beats);
    this.changed(s);
    return s;
  }

  async list(repo?: string): Promise<SessionInfo[]> {
    if (repo) await this.ensureRepo(repo);
    else for (const r of await this.ctx.store.knownRepos()) await this.ensureRepo(r);
    return this.all()
      .filter(s => !repo || s.repo === repo)
      .sort((a, b) => a.record.createdAt.localeCompare(b.record.createdAt))
      .map(s => this.info(s));
  }

  create(p: CreateSessionParams, progress: Progress): Promise<SessionInfo> {
    return this.launcher.creatingWhile(() => createSession(this, p, progress));
  }

  changes(id: string): Promise<ChangesResult> {
    return sessionChanges(this, id);
  }

  fileAtBase(id: string, file: string): Promise<{ content: string | null }> {
    return fileAtBase(this, id, file);
  }

  merge(p: MergeParams, progress: Progress): Promise<MergeResult> {
    return mergeSession(this, p, progress);
  }

  discard(p: DiscardParams): Promise<DiscardResult> {
    return discardSession(this, p);
  }

  prune(repo: string): Promise<{ pruned: string[] }> {
    return pruneWorktrees(this, repo);
  }

  /** Copies the session's trace (one JSON object per turn) to `file`. */
  saveTrace(id: string, file: string): Promise<{ turns: number }> {
    return this.traces.copy(this.get(id).paths.trace, file, this.get(id).tracedTurns());
  }

  /** The repository a folder belongs to (sessions are kept per repository, by its main checkout). */
  async repoRootOf(dir: string): Promise<string> {
    try {
      return (await openRepo(dir)).identityRoot;
    } catch (err) {
      // A folder that is not a repository is the caller's mistake (the CLI exits 2), as in createSession.
      throw new InvalidRequestError(errorMessage(err), { cause: err });
    }
  }

  /** A new session, persisted and queued. */
  register(record: SessionRecord): LiveSession {
    const s = new LiveSession(record, this.ctx.store.paths(record.repo, record.id), this);
    this.sessions.set(record.id, s);
    this.claim(s);
    s.firstSaved = this.save(s);
    s.transcript.append({ kind: 'user', ts: record.createdAt, text: record.task });
    this.scheduler.enqueue(s.id);
    this.changed(s);
    return s;
  }

  /** `why`: the reason shown when it was not the user (a CLI run told to end). */
  pause(id: string, why?: string): Promise<SessionInfo> {
    return pauseSession(this, id, why);
  }

  resume(id: string, hint?: string, opts?: ResumeOptions): Promise<SessionInfo> {
    return resumeSession(this, id, hint, opts);
  }

  async retry(id: string): Promise<SessionInfo> {
    const s = this.get(id);
    if (s.record.status !== 'failed') throw new UserError('Only a failed session can be retried.');
    return this.resume(id);
  }

  /** `why`: the reason shown when it was not the user's Stop (a discard). */
  stop(id: string, why?: string): Promise<SessionInfo> {
    return stopSession(this, id, why);
  }

  async setTier(id: string, tier: Tier): Promise<SessionInfo> {
    const s = this.get(id);
    // A finished session sends nothing more: its record keeps the tier its requests went at.
    if (!RUNNABLE_STATUSES.includes(s.record.status)) throw new UserError(`"${s.record.title}" is ${s.record.status}: it sends no more requests, so its tier stays as its requests went.`);
    await this.change(s, { action: 'tier', tier }, () => {
      s.changeTier(tier, 'changed by the user');
    });
    return this.info(s);
  }

  async raiseBudget(id: string, budgetUsd: number): Promise<void> {
    if (!(Number.isFinite(budgetUsd) && budgetUsd >= 0)) throw new UserError('A budget is a number of dollars (0 or more).');
    const s = this.get(id);
    await this.change(s, { action: 'budget', budgetUsd }, () => {
      s.record.budgetUsd = budgetUsd;
      this.save(s);
      this.changed(s);
    });
  }

  /** A user's change: refused while a merge or discard holds the session here, else made or asked for (ForeignOwner.change). */
  async change(s: LiveSession, asked: OwnerChange, here: () => Promise<void> | void): Promise<void> {
    // A pause or stop now would let another process resume it into the worktree being merged or removed.
    if (s.underReview && (asked.action === 'pause' || asked.action === 'stop')) throw new UserError(`${s.underReview}; ${asked.action} it once that is done.`);
    return this.foreign.change(s, asked, here);
  }

  async transcript(id: string, after: number): Promise<TranscriptResult> {
    const s = this.get(id);
    await s.transcript.open();
    return s.transcript.read(after);
  }

  watch(id: string, watching: boolean): void {
    const s = this.get(id);
    if (watching) this.watched.add(id);
    else this.watched.delete(id);
    s.transcript.setListener(watching ? (from, events) => this.ctx.sink.transcriptEvents(id, from, events) : undefined);
  }

  /** Resolves when the session is no longer queued or running (for the CLI). */
  waitUntilSettled(id: string): Promise<SessionInfo> {
    return new Promise(resolve => {
      const check = () => {
        const s = this.sessions.get(id);
        if (s && !(ACTIVE_STATUSES as readonly string[]).includes(s.record.status) && !s.run) {
          this.waiters.delete(check);
          resolve(this.info(s));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  // ---- SessionHost ----

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.ctx.log(level, message);
  }

  caps(record: SessionRecord): BudgetCaps {
    const b = this.ctx.settings().budgets;
    return { sessionUsd: record.budgetUsd, dayUsd: b.dayUsd, monthUsd: b.monthUsd };
  }

  /** `cause`: which limit the status comes from, if any; any other status clears it. False when it was already so. */
  setStatus(s: LiveSession, status: SessionStatus, reason?: string, cause?: StatusCause): boolean {
    if (!setRecordStatus(s.record, status, reason, cause)) return false;
    s.transcript.append({ kind: 'status', ts: new Date().toISOString(), status, ...(reason ? { reason } : {}) });
    this.save(s);
    this.changed(s);
    return true;
  }

  changed(s: LiveSession): void {
    this.notifier.changed(s.id);
    for (const w of [...this.waiters]) w();
  }

  spendChanged(): void {
    this.ctx.spend.changed();
  }

  alert(s: LiveSession, kind: SessionAlert['kind'], message: string, extra: Pick<SessionAlert, 'capScope' | 'stopped' | 'apiKeyRefused'> = {}): void {
    this.ctx.sink.alert({ sessionId: s.id, title: s.record.title, kind, message, ...extra });
  }

  fingerprint(s: LiveSession): Promise<{ hash: string; changed: string[] } | undefined> {
    return this.ctx.fingerprints.of(s);
  }

  tierChanged(s: LiveSession, tier: Tier): void {
    this.ctx.gateway.guardOf(s.id)?.tierChanged(tier);
  }

  appendTrace(s: LiveSession, turn: TraceTurn): void {
    this.traces.append(s.paths.trace, turn);
  }

  /** Written in the background; the promise (never rejected: a failure is logged) says when it is on disk. */
  save(s: LiveSession): Promise<void> {
    s.record.updatedAt = new Date().toISOString();
    s.record.savedBy = this.ctx.hostId;
    s.record.rev = (s.record.rev ?? 0) + 1;
    return this.ctx.store.save(s.record).catch(err => this.ctx.log('error', `Saving session ${s.id}: ${(err as Error).message}`));
  }

  // ---- runs ----

  private startQueued(id: string): void {
    this.queueMoved = true;
    this.machineWait.started(id);
    const s = this.sessions.get(id);
    if (!s || s.record.status !== 'queued') {
      this.scheduler.release(id);
      return;
    }
    this.setStatus(s, 'running');
    startRun(this, s).catch((err: unknown) => {
      // A run's own failures end in its outcome; this is what failed after it (saving its end, say).
      this.ctx.log('error', `Session ${s.id}: ${stackOf(err)}`);
    }).finally(() => {
      this.scheduler.release(id);
      // Resumed while this run was still ending (a paused agent given its grace period): the queue
      // could not take it then, since it still held its slot.
      if (s.record.status === 'queued') this.scheduler.enqueue(id);
      this.changed(s);
    });
  }

  /** Aborts the session's run here, if any, and waits until it has ended. */
  async stopRun(s: LiveSession): Promise<void> {
    s.run?.abort.abort();
    await s.run?.done.catch(() => {});
  }

  /** Marks the session as held by this process (a new one, or one taken under its lock). */
  claim(s: LiveSession): void {
    s.record.owner = ownerHere(this.ctx.hostId);
  }

  onSettingsChanged(): void {
    const settings = this.ctx.settings();
    this.scheduler.setLimit(settings.maxConcurrentSessions);
    const granted = settings.workspaceTrusted && !this.trusted;
    this.trusted = settings.workspaceTrusted;
    if (granted) void resumeUntrusted(this);
  }


  private changedInfos(ids: readonly string[]): SessionInfo[] {
    const sessions = ids.flatMap(id => {
      const s = this.sessions.get(id);
      return s ? [this.info(s)] : [];
    });
    if (this.queueMoved) {
      this.queueMoved = false;
      for (const s of this.sessions.values()) {
        if (s.record.status === 'queued' && !ids.includes(s.id)) sessions.push(this.info(s));
      }
    }
    return sessions;
  }

  /** Waits until no other live process holds the session (merge and discard of work its agent may still write). */
  releasedElsewhere(s: LiveSession, what: string): Promise<void> {
    return this.foreign.released(s, what);
  }

  /** Host shutdown: runs here end paused, queued sessions are let go of for the next host (pauseStop.ts). */
  async shutdown(): Promise<void> {
    // Nothing starts from now on, not even what a poll under way queues; and the queue is dropped at once, not
    // one at a time as slots free (with thousands queued, that chain of calls would overflow the stack).
    this.scheduler.close();
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.others.close();
    await pauseForShutdown(this);
    await this.foreign.close();
    await this.slots.close();
    await Promise.all(this.all().map(s => s.transcript.flush()));
    await this.traces.flush();
    await this.ctx.store.flush();
    this.notifier.dispose();
    this.launcher.dispose();
  }
}
