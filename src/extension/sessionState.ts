// What the extension knows about sessions and spend: a cache of the host's notifications. Views render
// from it; nothing here decides anything.
import * as vscode from 'vscode';
import { SessionsProtocol } from '../protocol/sessions';
import { SpendProtocol, type SpendSummary } from '../protocol/spend';
import type { SessionInfo } from '../protocol/types';
import type { HostClient } from './hostClient';
import { Disposable } from './lifecycle';
import { inEditorWords } from './commands/startRefusal';

export class SessionState extends Disposable {
  private readonly sessions = new Map<string, SessionInfo>();
  private spendValue: SpendSummary | undefined;
  /** Spend notifications so far: an answer asked for before the last one is older than it. */
  private notifiedSpend = 0;
  private readonly sessionsEmitter = this.register(new vscode.EventEmitter<readonly SessionInfo[]>());
  private readonly spendEmitter = this.register(new vscode.EventEmitter<SpendSummary>());
  private readonly removedEmitter = this.register(new vscode.EventEmitter<readonly string[]>());
  /** The repository sessions are listed for (the workspace's), once known. */
  repo: string | undefined;
  /** The repository's sessions have been listed once: a session not here now is none of this window's. */
  listed = false;
  /** Of each reload under way: the sessions set since it asked for the list. */
  private readonly meanwhile = new Set<Map<string, SessionInfo>>();

  /** Fires with the sessions that changed (all of them after a reload). */
  readonly onDidChangeSessions = this.sessionsEmitter.event;
  /** Fires with the ids of sessions that are gone (forgotten by the host). */
  readonly onDidRemoveSessions = this.removedEmitter.event;
  readonly onDidChangeSpend = this.spendEmitter.event;

  constructor(private readonly host: HostClient) {
    super();
    this.register(host.onNotification(SessionsProtocol.changed, ({ sessions, removed }) => {
      // Sessions of other repositories (another window's) are none of this window's business.
      const mine = sessions.filter(s => s.repo === this.repo).map(inEditor);
      for (const s of mine) this.set(s);
      const gone = (removed ?? []).filter(id => this.sessions.delete(id));
      if (mine.length) this.sessionsEmitter.fire(mine);
      if (gone.length) this.removedEmitter.fire(gone);
    }));
    this.register(host.onNotification(SpendProtocol.changed, summary => {
      this.notifiedSpend++;
      this.spendValue = summary;
      this.spendEmitter.fire(summary);
    }));
  }

  get all(): SessionInfo[] {
    return [...this.sessions.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Resolves once none of `ids` is running or waiting here, or after `ms`. */
  untilNoneRuns(ids: readonly string[], ms: number): Promise<void> {
    const runs = () => ids.some(id => ['running', 'waiting'].includes(this.get(id)?.status ?? ''));
    if (!runs()) return Promise.resolve();
    return new Promise(resolve => {
      const done = () => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const sub = this.onDidChangeSessions(() => !runs() && done());
    });
  }

  get(id: string): SessionInfo | undefined {
    return this.sessions.get(id);
  }

  get spend(): SpendSummary | undefined {
    return this.spendValue;
  }

  /** After (re)start of the host: the full list, from the source of truth. */
  async reload(): Promise<void> {
    // No repository (its folder left the workspace): none of the sessions shown is this window's now.
    if (!this.repo) {
      const gone = [...this.sessions.keys()];
      this.sessions.clear();
      this.listed = true;
      if (gone.length) this.removedEmitter.fire(gone);
      return;
    }
    // Sessions set while the answers are on their way (one made meanwhile, a notification) are newer than them.
    const meanwhile = new Map<string, SessionInfo>();
    this.meanwhile.add(meanwhile);
    let list: SessionInfo[];
    let asked: SpendSummary;
    const notified = this.notifiedSpend;
    try {
      // The list first: it loads the repository's sessions, which the summary names (before, it would name
      // them by id, or as another repository's).
      list = (await this.host.request(SessionsProtocol.list, { repo: this.repo })).map(inEditor);
      asked = await this.host.request(SpendProtocol.summary, undefined);
    } finally {
      this.meanwhile.delete(meanwhile);
    }
    // A notification that came meanwhile is newer than the answer.
    const summary = this.notifiedSpend !== notified && this.spendValue ? this.spendValue : asked;
    for (const s of meanwhile.values()) {
      const i = list.findIndex(x => x.id === s.id);
      if (i < 0) list.push(s);
      else if (s.updatedAt >= list[i]!.updatedAt) list[i] = s;
    }
    const gone = new Set(this.sessions.keys());
    this.sessions.clear();
    for (const s of list) {
      this.sessions.set(s.id, s);
      gone.delete(s.id);
    }
    this.spendValue = summary;
    this.listed = true;
    this.sessionsEmitter.fire(list);
    if (gone.size) this.removedEmitter.fire([...gone]);
    this.spendEmitter.fire(summary);
  }

  /**
   * A request's answer, taken at once rather than at the next notification; unless a notification saved
   * after it is already here (a session that started running before its creation's answer arrived).
   */
  update(given: SessionInfo): void {
    const s = inEditor(given);
    const have = this.sessions.get(s.id);
    if (have && have.updatedAt > s.updatedAt) return;
    this.set(s);
    this.sessionsEmitter.fire([s]);
  }

  private set(s: SessionInfo): void {
    this.sessions.set(s.id, s);
    for (const m of this.meanwhile) m.set(s.id, s);
  }
}

/** A session as this window shows it: a reason the host words for both clients, in the editor's words (no CLI flags). */
function inEditor(s: SessionInfo): SessionInfo {
  if (!s.statusReason) return s;
  const { text } = inEditorWords(s.statusReason);
  return text === s.statusReason ? s : { ...s, statusReason: text };
}
