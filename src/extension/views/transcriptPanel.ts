// A session's transcript in an editor tab: what the agent said, the tools it ran and their output, usage
// and cache per turn, streamed live. One panel per session; opening it again reveals it. A row's click
// opens a preview, as a single click in the Explorer does: the next click shows its session in the same
// tab, so browsing a fleet does not leave a hundred live webviews behind. Opening a transcript by its
// command, using its header, or Keep Open keeps the tab.
import * as vscode from 'vscode';
import { StateKeys } from '../storage';
import type { TranscriptEvent } from '../../protocol/records';
import { SessionsProtocol, type TranscriptResult } from '../../protocol/sessions';
import type { FromWebviewMessage, TranscriptAction } from '../../protocol/webview';
import type { HostClient } from '../hostClient';
import { Disposable } from '../lifecycle';
import type { SessionState } from '../sessionState';
import { WebviewChannel, webviewHtml, webviewOptions } from './webviewHtml';
import { inEditorWords } from '../commands/startRefusal';

/** The header's buttons, as the commands of the session's row (which check what the session allows). */
const ACT_COMMANDS: Record<TranscriptAction, string> = {
  pause: 'switchyard.pauseSession',
  resume: 'switchyard.resumeSession',
  hint: 'switchyard.resumeWithHint',
  stop: 'switchyard.stopSession',
  merge: 'switchyard.mergeSession',
  discard: 'switchyard.discardSession',
  review: 'switchyard.reviewCommand',
};

export class TranscriptPanels extends Disposable implements vscode.WebviewPanelSerializer {
  static readonly viewType = 'switchyard.transcript';
  private readonly panels = new Map<string, TranscriptPanel>();
  /** The tab a row's next click reuses, if it has not been kept. */
  private preview: TranscriptPanel | undefined;
  private readonly activeChanged = this.register(new vscode.EventEmitter<void>());
  /**
   * A transcript came to the front or left it. A tab change says so before the panel knows it is active
   * (its view state comes after): this is when activeSessionId is current.
   */
  readonly onDidChangeActive = this.activeChanged.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: HostClient,
    private readonly state: SessionState,
    private readonly memento: vscode.Memento,
  ) {
    super();
    this.register(host.onNotification(SessionsProtocol.transcriptEvents, ({ sessionId, from, events }) => this.panels.get(sessionId)?.live(from, events)));
    this.register(state.onDidChangeSessions(changed => {
      for (const s of changed) this.panels.get(s.id)?.sessionChanged();
    }));
    // After a host restart the host forgot who watches what: watch again and reload.
    this.register(host.onDidBecomeReady(() => {
      for (const p of this.panels.values()) void p.load();
    }));
    this.register({ dispose: () => [...this.panels.values()].forEach(p => p.dispose()) });
  }

  /** The session whose transcript tab is active, if any. */
  get activeSessionId(): string | undefined {
    return [...this.panels.values()].find(p => p.panel.active)?.sessionId;
  }

  /**
   * Closes the tabs of sessions the window no longer lists, once it has listed them: another repository's
   * (the window switched, or a restored tab of a folder no longer first), one gone, or every one when no
   * repository is left open. Left open, such a tab would read "Loading the transcript…" for good.
   */
  closeUnlisted(): void {
    for (const p of [...this.panels.values()]) if (!this.state.get(p.sessionId)) p.panel.dispose();
  }

  /** Shows a session's transcript; `preview` (a row's click) reuses the preview tab of the active group. */
  open(sessionId: string, preview = false): TranscriptPanel {
    const existing = this.panels.get(sessionId);
    if (existing) {
      if (!preview) this.keep(existing);
      existing.panel.reveal();
      return existing;
    }
    preview &&= vscode.workspace.getConfiguration('workbench.editor').get<boolean>('enablePreview', true);
    const reused = preview ? this.preview : undefined;
    if (reused && reused.panel.viewColumn === vscode.window.tabGroups.activeTabGroup.viewColumn) {
      this.panels.delete(reused.sessionId);
      this.panels.set(sessionId, reused);
      reused.show(sessionId);
      reused.panel.reveal();
      this.setPreview(reused);
      return reused;
    }
    const title = this.state.get(sessionId)?.title ?? sessionId;
    const panel = vscode.window.createWebviewPanel(TranscriptPanels.viewType, `Agent: ${title}`, vscode.ViewColumn.Active, {
      // Not retained while hidden: each live webview costs the window a process's worth of memory. A tab
      // shown again asks for its transcript afresh (its scroll position is in the webview's state).
      ...webviewOptions(this.extensionUri),
      enableFindWidget: true,
    });
    const p = this.adopt(sessionId, panel);
    if (preview) this.setPreview(p);
    return p;
  }

  /** Keeps the active transcript tab (Keep Open on a preview). */
  keepActive(): void {
    if (this.preview?.panel.active) this.keep(this.preview);
  }

  private keep(p: TranscriptPanel): void {
    if (this.preview === p) this.setPreview(undefined);
  }

  private setPreview(p: TranscriptPanel | undefined): void {
    this.preview = p;
    this.updateContext();
    void this.memento.update(StateKeys.previewTranscript, p?.sessionId);
  }

  /** Keep Open shows in the editor's title while a preview is the active tab. */
  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'switchyard.transcriptPreview', this.preview?.panel.active === true);
  }

  /** A tab restored after a reload: its webview saved the session it shows (transcriptView's state). */
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, saved: unknown): Promise<void> {
    const sessionId = typeof saved === 'object' && saved !== null ? (saved as { sessionId?: unknown }).sessionId : undefined;
    // Restored late (a tab shown only now) for a session the window does not list: closeUnlisted's case.
    if (typeof sessionId !== 'string' || !sessionId || this.panels.has(sessionId) || (this.state.listed && !this.state.get(sessionId))) {
      panel.dispose();
      return;
    }
    panel.webview.options = webviewOptions(this.extensionUri);
    const p = this.adopt(sessionId, panel);
    // The preview before the reload is the preview again: the next row's click reuses it.
    if (sessionId === this.memento.get<string>(StateKeys.previewTranscript)) this.setPreview(p);
  }

  private adopt(sessionId: string, panel: vscode.WebviewPanel): TranscriptPanel {
    panel.iconPath = new vscode.ThemeIcon('comment-discussion');
    const p: TranscriptPanel = new TranscriptPanel(sessionId, panel, this.extensionUri, this.host, this.state, {
      disposed: () => {
        if (this.panels.get(p.sessionId) === p) this.panels.delete(p.sessionId);
        if (this.preview === p) this.setPreview(undefined);
      },
      used: () => this.keep(p),
      viewChanged: () => {
        this.updateContext();
        this.activeChanged.fire();
      },
    });
    this.panels.set(sessionId, p);
    return p;
  }
}

/** What a panel tells the set of panels. */
interface PanelEvents {
  disposed(): void;
  /** The user acted from its header: a preview becomes a tab of its own. */
  used(): void;
  viewChanged(): void;
}

export class TranscriptPanel {
  private readonly channel: WebviewChannel;
  /** Persisted events the webview has, so a live batch that overlaps a read is not shown twice. */
  private next = 0;
  private loaded = false;
  private loading: Promise<void> | undefined;
  /** Loads started so far: an older one that ends last must not reset the view to what it read. */
  private generation = 0;
  private disposed = false;
  /** Its webview is gone while the tab is hidden: nothing is sent or read for it until it is shown. */
  private hidden = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private shown: string,
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly host: HostClient,
    private readonly state: SessionState,
    private readonly events: PanelEvents,
  ) {
    this.channel = new WebviewChannel(panel.webview, m => void this.onMessage(m), () => {
      // A webview that said ready as its tab was hidden is gone already: the next one says it again.
      if (!panel.visible) return;
      this.hidden = false;
      void this.load();
    });
    panel.webview.html = webviewHtml(panel.webview, extensionUri, 'transcript', panel.title);
    this.disposables.push(this.channel, panel.onDidChangeViewState(() => {
      if (!panel.visible) this.hide();
      events.viewChanged();
    }), panel.onDidDispose(() => {
      events.disposed();
      this.dispose();
    }));
  }

  get sessionId(): string {
    return this.shown;
  }

  /** Shows another session in this tab (a preview reused): the old one is no longer watched. */
  show(sessionId: string): void {
    if (sessionId === this.shown) return;
    this.unwatch();
    this.shown = sessionId;
    this.next = 0;
    this.loaded = false;
    const session = this.state.get(sessionId);
    this.panel.title = `Agent: ${session?.title ?? sessionId}`;
    // Its header at once: until the read below ends, the old session's buttons would act on the old session.
    if (session) this.channel.post({ type: 'transcript/reset', body: { session, events: [] } });
    void this.load();
  }

  /** The tab went to the background: its webview is destroyed, and says `ready` again when shown. */
  private hide(): void {
    if (this.hidden) return;
    this.hidden = true;
    this.channel.reset();
    this.loaded = false;
    this.generation++;
    this.unwatch();
  }

  /** Reads the whole transcript and shows it; of loads that overlap, the last one started is the one shown. */
  async load(): Promise<void> {
    const session = this.state.get(this.sessionId);
    if (!session || this.disposed || this.hidden) return;
    const generation = ++this.generation;
    let read: TranscriptResult;
    try {
      await this.host.request(SessionsProtocol.watch, { sessionId: this.sessionId, watching: true });
      read = await this.host.request(SessionsProtocol.transcript, { sessionId: this.sessionId, after: 0 });
    } catch {
      return; // the host is restarting: its ready event loads again
    }
    if (generation !== this.generation || this.disposed) return;
    const { events, next, streaming } = read;
    this.next = next;
    this.loaded = true;
    // The answer streaming now, as far as it came: its next deltas follow live.
    this.channel.post({ type: 'transcript/reset', body: { session, events: (streaming ? [...events, streaming] : events).map(inEditor) } });
  }

  live(from: number, events: TranscriptEvent[]): void {
    if (!this.loaded) return;
    const fresh: TranscriptEvent[] = [];
    let index = from;
    for (const e of events) {
      if (e.kind === 'assistant-delta') {
        if (index >= this.next) fresh.push(e);
        continue;
      }
      if (index >= this.next) {
        fresh.push(e);
        this.next = index + 1;
      }
      index++;
    }
    if (fresh.length) this.channel.post({ type: 'transcript/append', body: { events: fresh.map(inEditor) } });
  }

  sessionChanged(): void {
    const session = this.state.get(this.sessionId);
    if (!session || this.hidden) return;
    // Restored after a reload before the host listed the sessions: it loads now.
    if (!this.loaded) {
      this.loading ??= this.load().finally(() => (this.loading = undefined));
      return;
    }
    this.panel.title = `Agent: ${session.title}`;
    this.channel.post({ type: 'transcript/session', body: { session } });
  }

  private async onMessage(m: FromWebviewMessage): Promise<void> {
    this.events.used();
    if (m.type === 'transcript/showChanges') await vscode.commands.executeCommand('switchyard.showChanges', m.body.sessionId);
    else if (m.type === 'transcript/setTier') await vscode.commands.executeCommand('switchyard.setTier', m.body.sessionId, m.body.tier);
    else if (m.type === 'transcript/act' && Object.hasOwn(ACT_COMMANDS, m.body.action)) await vscode.commands.executeCommand(ACT_COMMANDS[m.body.action], m.body.sessionId);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unwatch();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private unwatch(): void {
    void this.host.request(SessionsProtocol.watch, { sessionId: this.shown, watching: false }).catch(() => {});
  }
}

/** A status event's reason, which the host words for both clients, in the editor's words (as its header says it). */
function inEditor(e: TranscriptEvent): TranscriptEvent {
  return e.kind === 'status' && e.reason ? { ...e, reason: inEditorWords(e.reason).text } : e;
}
