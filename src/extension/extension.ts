// Switchyard's extension: a thin client over the agent host. activate() only wires surfaces together
// and returns; the host process starts right after, and everything it reports is rendered as it comes.
import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostReady } from '../protocol/host';
import { SessionsProtocol } from '../protocol/sessions';
import { RUNNABLE_STATUSES, TIERS, type SessionInfo } from '../protocol/types';
import type { ToWebview } from '../protocol/webview';
import { BASE_SCHEME, BaseContentProvider } from './baseContent';
import type { CommandContext } from './commands/context';
import { registerCommands } from './commands/index';
import { HostClient } from './hostClient';
import { SessionAlerts } from './notifications';
import { offerResumeAfterClose, offerResumeOfPaused } from './commands/hostCommands';
import { Approvals } from './approvals';
import { PaletteContext } from './paletteContext';
import { PausedElsewhere } from './pausedElsewhere';
import { SessionState } from './sessionState';
import { affectsHost, affectsHostPriority, problemsNotice, readHostPriority, readSettings } from './settings';
import { SpendMeter } from './statusBar/spendMeter';
import { TierItem } from './statusBar/tierItem';
import { ApiKeyStore, StateKeys } from './storage';
import { reposBelow } from './commands/noRepository';
import { isBelow } from '../host/sessions/workFolder';
import { SessionsTree } from './views/sessionsTree';
import { SpendView } from './views/spendView';
import { TranscriptPanels } from './views/transcriptPanel';

/** What the extension exposes to other extensions and to its own integration tests. */
export interface SwitchyardApi {
  /** Milliseconds activate() took (the host starts after it returns). */
  readonly activationMs: number;
  /** CPU time the extension host spent in activate(): with the wall time, it tells a slow activation from a busy machine. */
  readonly activationCpuMs: number;
  hostReady(): Promise<HostReady>;
  /** Fires each time a host (the first, or one restarted after a crash) is ready. */
  onDidHostReady: vscode.Event<HostReady>;
  repo(): string | undefined;
  sessions(): SessionInfo[];
  meterText(): string;
  tierText(): string;
  spendViewResolved(): boolean;
  /** What the Spend view was last given to draw, if it has drawn. */
  spendShown(): ToWebview['spend/state'] | undefined;
  onDidChangeSessions: vscode.Event<readonly SessionInfo[]>;
  onDidRenderSpend: vscode.Event<void>;
  /** Shows and selects a session's row in the Sessions view. */
  revealSession(id: string): Promise<void>;
  /** The session whose row is selected, if any. */
  selectedSession(): SessionInfo | undefined;
  /** What the Sessions view's title bar says beside its name. */
  sessionsViewDescription(): string | undefined;
}

export function activate(context: vscode.ExtensionContext): SwitchyardApi {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const log = vscode.window.createOutputChannel('Switchyard', { log: true });
  const apiKeys = new ApiKeyStore(context.secrets);
  // The empty Sessions view offers Set API Key only while there is none (stored, or from the environment).
  const showHasApiKey = async () => void vscode.commands.executeCommand('setContext', 'switchyard.hasApiKey', Boolean(await apiKeys.get()));
  void showHasApiKey();
  const reportedProblems = new Set<string>();
  const configuration = async () => {
    const { settings, problems } = readSettings();
    const fresh = problems.map(p => ({ ...p, text: `Setting ${p.key} ${p.message}.` })).filter(p => !reportedProblems.has(p.text));
    for (const p of fresh) {
      reportedProblems.add(p.text);
      log.warn(p.text);
    }
    // One notification for one typo; several at once (a settings.json pasted in) are one too, each in the log.
    const [first] = fresh;
    if (first) {
      void vscode.window.showWarningMessage(`Switchyard: ${problemsNotice(fresh)}`, 'Open Settings', ...(fresh.length > 1 ? ['Show Output'] : [])).then(c => {
        if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', fresh.length === 1 ? first.key : 'switchyard');
        else if (c === 'Show Output') log.show();
      });
    }
    return { settings, apiKey: await apiKeys.get() };
  };
  const host = new HostClient(context.extensionPath, log, configuration, readHostPriority);
  const state = new SessionState(host);
  const tree = new SessionsTree(state, context.workspaceState);
  const transcripts = new TranscriptPanels(context.extensionUri, host, state, context.workspaceState);
  const spendView = new SpendView(context.extensionUri, host, state);
  const meter = new SpendMeter();
  const tierItem = new TierItem();
  let repo: string | undefined;
  let crashedWhileRunning: string[] | undefined;
  let firstReady = true;
  let active = context.workspaceState.get<string>(StateKeys.activeSession);

  // The tier item acts on a session whose tier still matters: one that runs or can be resumed. Of the
  // selected row and the transcript in front, the one the user came to last: a row left selected must not
  // take the click meant for the transcript being read.
  const canRun = (x: SessionInfo | undefined) => x && RUNNABLE_STATUSES.includes(x.status) ? x : undefined;
  // The session come to last, if it can still run: one that has ended is not passed over for another.
  const activeSession = () => {
    const last = active ? state.get(active) : undefined;
    return last ? canRun(last) : canRun(tree.selected()) ?? canRun(state.get(transcripts.activeSessionId ?? ''));
  };
  const lookedAt = (id: string | undefined) => {
    if (id && id !== active) ctx.setActiveSession(id);
    else refreshTier();
  };
  // Tabs change for many reasons (opened, closed, edited): only a transcript newly in front is a session come to.
  let transcriptInFront = transcripts.activeSessionId;
  const tabsChanged = () => {
    const now = transcripts.activeSessionId;
    if (now === transcriptInFront) return refreshTier();
    transcriptInFront = now;
    lookedAt(now);
  };
  // The default tier is read when settings change, not on every session change (7 a second with a fleet).
  let defaultTier = 'standard' as SessionInfo['tier'];
  const readDefaultTier = () => {
    const t = vscode.workspace.getConfiguration('switchyard').get<string>('defaultTier', 'standard');
    defaultTier = (TIERS as readonly string[]).includes(t) ? (t as SessionInfo['tier']) : 'standard';
  };
  const refreshTier = () => tierItem.refresh(activeSession(), defaultTier);
  let repos: readonly string[] = [];
  let folderOf = new Map<string, string>();
  let noCommits = false;
  const resolveRepo = async () => {
    ({ roots: repos, folderOf, noCommits } = await findRepos(host));
    // The one chosen last in this workspace, while it is still open here; else the first folder's.
    const chosen = context.workspaceState.get<string>(StateKeys.repository);
    repo = chosen && repos.includes(chosen) ? chosen : repos[0];
    void vscode.commands.executeCommand('setContext', 'switchyard.severalRepos', repos.length > 1);
    state.repo = repo;
    // Of several folders, the repository chosen (else the first) is the one whose sessions show and start: said so.
    tree.repoName = repo && (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? path.basename(repo) : undefined;
    void vscode.commands.executeCommand('setContext', 'switchyard.noRepo', !repo);
    return repo;
  };
  // The repository looked for again and its sessions listed; tabs of sessions no longer listed close. One at
  // a time (host ready, folders changed, Refresh, a choice): an older look that ended last would win.
  let showing: Promise<void> = Promise.resolve();
  const showRepo = () => {
    const next = showing.catch(() => undefined).then(async () => {
      await resolveRepo();
      await state.reload();
      transcripts.closeUnlisted();
    });
    showing = next;
    return next;
  };
  const palette = new PaletteContext((key, value) => void vscode.commands.executeCommand('setContext', key, value));
  palette.update([]);
  const approvals = new Approvals();
  const alerts = new SessionAlerts();
  const ctx: CommandContext = {
    extension: context,
    host,
    approvals,
    state,
    tree,
    transcripts,
    apiKeys,
    log,
    repo: () => repo,
    findRepo: () => resolveRepo(),
    repos: () => repos,
    noCommitsYet: () => noCommits,
    startFolder: root => folderOf.get(root) ?? root,
    useRepo: async root => {
      await context.workspaceState.update(StateKeys.repository, root);
      if (root !== repo) await showRepo();
    },
    showRepo: () => showRepo(),
    activeSession,
    cameToLast: () => active,
    setActiveSession: id => {
      active = id;
      void context.workspaceState.update(StateKeys.activeSession, id);
      refreshTier();
    },
    pushConfiguration: () => host.pushConfiguration(),
  };

  context.subscriptions.push(
    log, host, state, tree, transcripts, spendView, meter, tierItem, approvals, alerts,
    // Another window (or a CLI run) closed or was killed while it ran this repository's sessions.
    new PausedElsewhere(state, host, ids => offerResumeAfterClose(ctx, context.workspaceState, ids)),
    vscode.window.registerWebviewViewProvider(SpendView.id, spendView),
    // Transcript tabs open before a reload come back, each to its session.
    vscode.window.registerWebviewPanelSerializer(TranscriptPanels.viewType, transcripts),
    vscode.workspace.registerTextDocumentContentProvider(BASE_SCHEME, new BaseContentProvider(host)),
    ...registerCommands(ctx),
    state.onDidChangeSpend(s => meter.refresh(s)),
    state.onDidChangeSessions(refreshTier),
    state.onDidChangeSessions(() => palette.update(state.all)),
    state.onDidRemoveSessions(() => palette.update(state.all)),
    tree.view.onDidChangeSelection(() => lookedAt(tree.selected()?.id)),
    vscode.window.tabGroups.onDidChangeTabs(tabsChanged),
    transcripts.onDidChangeActive(tabsChanged),
    vscode.workspace.onDidChangeConfiguration(e => {
      if (affectsHost(e)) {
        void host.pushConfiguration();
        readDefaultTier();
        refreshTier();
      }
      if (affectsHostPriority(e)) void offerRestartForPriority();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void host.pushConfiguration()),
    apiKeys.onDidChange(() => {
      void host.pushConfiguration();
      void showHasApiKey();
    }),
    host.onNotification(SessionsProtocol.alert, a => alerts.push(a)),
    // A folder added to or removed from the workspace may add, remove or be the repository shown.
    vscode.workspace.onDidChangeWorkspaceFolders(() => void showRepo().catch(err => log.error(`Loading sessions: ${(err as Error).message}`))),
    // A crash (Restart Agent Host says so itself): the sessions it ran come back paused.
    host.onDidChangeState(st => {
      if (st !== 'ready') approvals.withdrawAll();
      if (st !== 'restarting') return;
      crashedWhileRunning = state.all.filter(s => s.status === 'running' || s.status === 'waiting').map(s => s.id);
      log.info(`The agent host stopped while ${crashedWhileRunning.length} session(s) ran here.`);
    }),
    host.onDidBecomeReady(async () => {
      await showRepo().catch(err => log.error(`Loading sessions: ${(err as Error).message}`));
      const crashed = crashedWhileRunning;
      crashedWhileRunning = undefined;
      if (firstReady) offerResumeAfterClose(ctx, context.workspaceState);
      firstReady = false;
      // The new host finds them left running by a process that is gone, and pauses them, a moment later.
      if (crashed) {
        void state.untilNoneRuns(crashed, 15_000).then(() => {
          log.info(`After the restart: ${crashed.map(id => `${id} ${state.get(id)?.status ?? 'unknown'}`).join(', ') || 'no session ran'}.`);
          offerResumeOfPaused(ctx, crashed, 'the agent host stopped unexpectedly and was restarted; it paused', 'warning');
        });
      }
    }),
  );
  host.setApprovalHandler((req, withdrawn) => approvals.ask(req, withdrawn));
  // The host is a separate process, and settings are read for the tier item: both after activate()
  // returns, so activation stays instant.
  void Promise.resolve().then(() => {
    readDefaultTier();
    refreshTier();
    return host.start().catch(err => log.error(`Agent host: ${(err as Error).message}`));
  });

  const activationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  const activationCpuMs = (cpu.user + cpu.system) / 1000;
  log.info(`Activated in ${activationMs.toFixed(2)} ms (${activationCpuMs.toFixed(2)} ms of CPU)`);
  return {
    activationMs,
    activationCpuMs,
    hostReady: () => host.whenReady(),
    onDidHostReady: host.onDidBecomeReady,
    repo: () => repo,
    sessions: () => state.all,
    meterText: () => meter.text,
    tierText: () => tierItem.text,
    spendViewResolved: () => spendView.isResolved,
    spendShown: () => spendView.shown,
    onDidChangeSessions: state.onDidChangeSessions,
    onDidRenderSpend: spendView.onDidRender,
    revealSession: async id => {
      const s = state.get(id);
      if (s) await tree.reveal(s);
    },
    selectedSession: () => tree.selected(),
    sessionsViewDescription: () => tree.view.description,
  };
}

/** A running process cannot take its priority back, so a new one applies from the next start. */
async function offerRestartForPriority(): Promise<void> {
  const restart = 'Restart Agent Host';
  const choice = await vscode.window.showInformationMessage('Switchyard: the agent host takes its new priority when it restarts. Running sessions pause and can be resumed.', restart);
  if (choice === restart) await vscode.commands.executeCommand('switchyard.restartHost');
}

/**
 * The repositories of the workspace's folders, in folder order, each once (two folders of one repository),
 * and the folder each was found from (a folder below its root is where its sessions' agents are told the user works).
 */
async function findRepos(host: HostClient): Promise<{ roots: string[]; folderOf: Map<string, string>; noCommits: boolean }> {
  let noCommits = false;
  const roots: string[] = [];
  const folderOf = new Map<string, string>();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const r = await host.request(SessionsProtocol.resolveRepo, { dir: folder.uri.fsPath });
    if (!r.root) continue;
    if (!roots.includes(r.root)) roots.push(r.root);
    // The root itself, where it is open too; else the first folder below it that is no checkout of its own
    // (a linked worktree, such as a session's opened with Open Worktree, would start sessions from its branch).
    const real = realFolder(folder.uri.fsPath);
    if (real === r.root) folderOf.set(r.root, r.root);
    else if (!folderOf.has(r.root) && real && isBelow(r.root, real) && !existsSync(path.join(real, '.git'))) folderOf.set(r.root, real);
    noCommits ||= r.noCommits === true;
  }
  // A repository with no commit yet is one a first commit makes usable: the empty view and New Session say so.
  noCommits &&= !roots.length;
  void vscode.commands.executeCommand('setContext', 'switchyard.noCommits', noCommits);
  // A folder of checkouts: the empty view offers them rather than `git init`, which would wrap them.
  const below = !roots.length && !noCommits && (vscode.workspace.workspaceFolders ?? []).some(f => f.uri.scheme === 'file' && reposBelow(f.uri.fsPath).length > 0);
  void vscode.commands.executeCommand('setContext', 'switchyard.reposBelow', below);
  return { roots, folderOf, noCommits };
}

export function deactivate(): void {
  // Disposables registered on the context stop the host (which saves running sessions as paused).
}

function realFolder(dir: string): string | undefined {
  try {
    return realpathSync.native(dir);
  } catch {
    return undefined;
  }
}
