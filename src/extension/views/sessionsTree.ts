// The Sessions view: one row per session with its status, cost, cache share and tier; details below
// it; grouped by state when there are many, and filterable, so a hundred sessions stay usable.
import * as vscode from 'vscode';
import type { SessionInfo, SessionStatus } from '../../protocol/types';
import { Throttle } from '../../host/util/throttle';
import { Disposable } from '../lifecycle';
import type { SessionState } from '../sessionState';
import { StateKeys } from '../storage';
import { cacheShare, money, sessionTooltip, tokens } from './format';

type SessionNode = { kind: 'session'; session: SessionInfo };
type Node =
  | { kind: 'group'; id: string; label: string; sessions: SessionInfo[] }
  | SessionNode
  | { kind: 'detail'; id: string; label: string; description: string; icon: string; tooltip?: string };

const GROUP_THRESHOLD = 12;
const REFRESH_MS = 200;

const STATUS_ICONS: Record<SessionStatus, [string, string | undefined]> = {
  queued: ['clock', 'descriptionForeground'],
  running: ['sync~spin', 'charts.blue'],
  waiting: ['bell-dot', 'charts.yellow'],
  paused: ['debug-pause', 'descriptionForeground'],
  stuck: ['warning', 'errorForeground'],
  'over-budget': ['credit-card', 'charts.orange'],
  done: ['pass-filled', 'charts.green'],
  failed: ['error', 'errorForeground'],
  merged: ['git-merge', 'charts.purple'],
  discarded: ['trash', 'descriptionForeground'],
};

function groupOf(s: SessionInfo): string | undefined {
  return GROUPS.find(g => g.statuses.includes(s.status))?.id;
}

const GROUPS: { id: string; label: string; statuses: SessionStatus[] }[] = [
  { id: 'attention', label: 'Needs attention', statuses: ['waiting', 'stuck', 'over-budget', 'failed'] },
  { id: 'running', label: 'Running', statuses: ['running'] },
  { id: 'queued', label: 'Queued', statuses: ['queued'] },
  { id: 'paused', label: 'Paused', statuses: ['paused'] },
  { id: 'done', label: 'Ready to review', statuses: ['done'] },
  { id: 'closed', label: 'Merged or discarded', statuses: ['merged', 'discarded'] },
];

export class SessionsTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<Node | Node[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly view: vscode.TreeView<Node>;
  private filter: string;
  /** One node per session, kept, so a change refreshes that row alone. */
  private readonly nodes = new Map<string, SessionNode>();
  /** Sessions changed since the last refresh; undefined: the whole tree is due (throttled). */
  private pending: Set<string> | undefined = new Set();
  private readonly throttle = new Throttle(REFRESH_MS, () => this.applyPending());

  constructor(private readonly state: SessionState, private readonly memento: vscode.Memento) {
    super();
    this.filter = memento.get<string>(StateKeys.sessionFilter, '');
    this.view = this.register(vscode.window.createTreeView('switchyard.sessions', { treeDataProvider: this, showCollapseAll: true }));
    this.register(state.onDidChangeSessions(changed => this.noteChanges(changed)));
    this.register({ dispose: () => this.throttle.dispose() });
    this.updateChrome();
  }

  /** The session a command acts on when it was not given one: the selected row, if any. */
  selected(): SessionInfo | undefined {
    const node = this.view.selection[0];
    return node?.kind === 'session' ? this.state.get(node.session.id) : undefined;
  }

  async setFilter(text: string): Promise<void> {
    this.filter = text.trim();
    await this.memento.update(StateKeys.sessionFilter, this.filter);
    this.refresh();
  }

  get filterText(): string {
    return this.filter;
  }

  refresh(): void {
    this.pending = undefined;
    this.applyPending();
  }

  /**
   * A row whose place in the tree is unchanged is refreshed alone; a session that appears, leaves, or
   * moves to another group refreshes the whole tree.
   */
  private noteChanges(changed: readonly SessionInfo[]): void {
    for (const s of changed) {
      const node = this.nodes.get(s.id);
      if (this.pending && node && groupOf(node.session) === groupOf(s) && this.matches(node.session) === this.matches(s)) {
        this.pending.add(s.id);
      } else {
        this.pending = undefined;
      }
      if (node) node.session = s;
    }
    // Rows alone are cheap and the host already sends at most ten batches a second: shown at once. A
    // change of the tree's shape (a session appears, leaves or changes group) is throttled.
    if (this.pending) this.applyPending();
    else this.throttle.trigger();
  }

  private applyPending(): void {
    const pending = this.pending;
    this.pending = new Set();
    this.updateChrome();
    if (!pending) {
      this.changeEmitter.fire(undefined);
      return;
    }
    const nodes = [...pending].flatMap(id => this.nodes.get(id) ?? []);
    if (nodes.length) this.changeEmitter.fire(nodes);
  }

  private nodeFor(s: SessionInfo): SessionNode {
    let node = this.nodes.get(s.id);
    if (!node) this.nodes.set(s.id, (node = { kind: 'session', session: s }));
    node.session = s;
    return node;
  }

  private matches(s: SessionInfo): boolean {
    const f = this.filter.toLowerCase();
    return !f || [s.title, s.status, s.tier, s.role, s.branch, s.id, s.model].some(v => v.toLowerCase().includes(f));
  }

  private visible(): SessionInfo[] {
    return this.state.all.filter(s => this.matches(s));
  }

  private chrome = { attention: -1, description: '' as string | undefined, message: '' as string | undefined };

  /** Badge, description and message: each a message to the window, so set only when it changes. */
  private updateChrome(): void {
    const all = this.state.all;
    const attention = all.filter(s => ['waiting', 'stuck', 'over-budget'].includes(s.status)).length;
    if (attention !== this.chrome.attention) {
      this.chrome.attention = attention;
      this.view.badge = attention ? { value: attention, tooltip: `${attention} session(s) need your attention` } : undefined;
    }
    const running = all.filter(s => s.status === 'running' || s.status === 'waiting').length;
    const parts = [`${running}/${all.length} running`];
    if (this.filter) parts.push(`filter: ${this.filter}`);
    const description = all.length ? parts.join(' · ') : undefined;
    if (description !== this.chrome.description) this.view.description = this.chrome.description = description;
    const message = this.filter && !this.visible().length && all.length ? `No session matches "${this.filter}".` : undefined;
    if (message !== this.chrome.message) this.view.message = this.chrome.message = message;
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      // The view's description counts what the groups below show: both from this one moment.
      this.updateChrome();
      const sessions = this.visible();
      if (sessions.length <= GROUP_THRESHOLD) return sessions.map(s => this.nodeFor(s));
      return GROUPS.map(g => ({ kind: 'group' as const, id: g.id, label: g.label, sessions: sessions.filter(s => g.statuses.includes(s.status)) }))
        .filter(g => g.sessions.length > 0);
    }
    if (node.kind === 'group') return node.sessions.map(s => this.nodeFor(s));
    if (node.kind === 'session') return details(node.session);
    return [];
  }

  getParent(): undefined {
    return undefined;
  }

  /** Tooltips are built on hover: a Markdown table per row on every refresh would cost the most. */
  resolveTreeItem(item: vscode.TreeItem, node: Node): vscode.TreeItem {
    if (node.kind === 'session') item.tooltip = sessionTooltip(node.session);
    return item;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.label, node.id === 'closed' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
      item.id = `group:${node.id}`;
      // Counts only: a row refreshed alone does not refresh its group, so nothing here may go stale.
      item.description = String(node.sessions.length);
      item.contextValue = 'group';
      return item;
    }
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.tooltip = node.tooltip;
      item.contextValue = 'detail';
      return item;
    }
    const s = node.session;
    const item = new vscode.TreeItem(s.title, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `session:${s.id}`;
    const [icon, color] = STATUS_ICONS[s.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.description = rowDescription(s);
    item.contextValue = contextValue(s);
    item.accessibilityInformation = { label: `${s.title}, ${s.status}, ${money(s.costUsd)}, ${s.tier} tier` };
    // No arguments: VS Code hands a row's command with arguments to the window under an id that the
    // row's next refresh revokes, so a click landing just then failed with "Actual command not found".
    // The click selects the row first, and the command opens the selected session.
    item.command = { command: 'switchyard.openTranscript', title: 'Open Transcript' };
    return item;
  }
}

function rowDescription(s: SessionInfo): string {
  const parts: string[] = [];
  if (s.status === 'queued' && s.queuePosition) parts.push(`queued #${s.queuePosition}`);
  else if (s.status !== 'running' && s.status !== 'done') parts.push(s.status);
  parts.push(s.unpricedRequests && !s.costUsd ? 'unpriced' : money(s.costUsd));
  if (s.usage.input > 0) parts.push(`${cacheShare(s)} cached`);
  parts.push(s.tier);
  if (s.guard.level !== 'ok') parts.push(`⚠ ${s.guard.level}`);
  return parts.join(' · ');
}

/** Flags in the context value drive which inline actions and menu items show (see package.json). */
function contextValue(s: SessionInfo): string {
  const flags = ['session'];
  const st = s.status;
  if (st === 'running' || st === 'queued' || st === 'waiting') flags.push('pausable', 'stoppable');
  if (st === 'paused' || st === 'stuck' || st === 'over-budget' || st === 'failed') flags.push('resumable');
  if (st === 'paused' || st === 'stuck' || st === 'over-budget') flags.push('stoppable');
  if (st === 'failed') flags.push('retryable');
  if (st !== 'merged' && st !== 'discarded') flags.push('open', 'reviewable');
  if (st === 'done' || st === 'paused' || st === 'stuck' || st === 'over-budget' || st === 'failed') flags.push('mergeable');
  return flags.join(':');
}

function details(s: SessionInfo): Node[] {
  const id = (k: string) => `detail:${s.id}:${k}`;
  const u = s.usage;
  const rows: Node[] = [];
  if (s.statusReason) rows.push({ kind: 'detail', id: id('reason'), label: s.statusReason, description: '', icon: 'info', tooltip: s.statusReason });
  if (s.guard.level !== 'ok' && s.guard.reason) {
    rows.push({ kind: 'detail', id: id('guard'), label: `Loop guard: ${s.guard.reason}`, description: `${money(s.guard.spentSinceProgressUsd)} since progress`, icon: 'warning', tooltip: s.guard.reason });
  }
  rows.push(
    { kind: 'detail', id: id('tokens'), label: 'Tokens', description: `in ${tokens(u.input)} · cached ${tokens(u.cached)} · cache-write ${tokens(u.cacheWrite)} · out ${tokens(u.output)} · reasoning ${tokens(u.reasoning)}`, icon: 'symbol-numeric' },
    { kind: 'detail', id: id('requests'), label: 'Requests', description: `${u.requests}${s.estimatedRequests ? ` (${s.estimatedRequests} estimated)` : ''} · ${s.turns} turns`, icon: 'pulse' },
    { kind: 'detail', id: id('cost'), label: 'Cost by tier', description: costByTier(s), icon: 'credit-card' },
    { kind: 'detail', id: id('budget'), label: 'Budget', description: s.budgetUsd === null ? 'day and month caps only' : `${money(s.costUsd)} of ${money(s.budgetUsd)}`, icon: 'law' },
    { kind: 'detail', id: id('branch'), label: s.branch, description: `from ${s.baseBranch} · ${s.agent}${s.role ? ` · ${s.role}` : ''}`, icon: 'git-branch', tooltip: s.worktree },
  );
  if (s.confinement) {
    rows.push({ kind: 'detail', id: id('confinement'), label: `Commands: ${s.confinement}`, description: s.confinementNote ?? '', icon: s.confinement === 'sandboxed' ? 'shield' : 'unlock', tooltip: s.confinementNote });
  }
  if (s.cacheBreaks) rows.push({ kind: 'detail', id: id('cache'), label: `${s.cacheBreaks} cache break(s)`, description: `${money(s.cacheBreakLossUsd)} lost`, icon: 'debug-disconnect' });
  return rows;
}

function costByTier(s: SessionInfo): string {
  const parts = (['priority', 'standard', 'flex', 'unknown'] as const).filter(t => s.costByTier[t] > 0).map(t => `${t} ${money(s.costByTier[t])}`);
  if (s.priorityPremiumUsd > 0) parts.push(`priority premium ${money(s.priorityPremiumUsd)}`);
  if (s.unpricedRequests) parts.push(`${s.unpricedRequests} unpriced`);
  return parts.join(' · ') || money(0);
}
