// The Sessions view: one row per session with its status, cost, cache share and tier; details below
// it; grouped by state when there are many, and filterable, so a hundred sessions stay usable.
import * as vscode from 'vscode';
import { ACTIVE_STATUSES, MERGEABLE_STATUSES, OPEN_STATUSES, RESUMABLE_STATUSES, RUNNABLE_STATUSES, STOPPABLE_STATUSES, type SessionInfo, type SessionStatus } from '../../protocol/types';
import { Throttle } from '../../host/util/throttle';
import { RedrawPlan, shapeOf, type TreeShape } from './redrawPlan';
import { Disposable } from '../lifecycle';
import type { SessionState } from '../sessionState';
import { StateKeys } from '../storage';
import { plural, sessionTooltip, usd } from './format';
import { GROUPS, groupAccessibilityLabel, groupOf, matchesFilter, needsAttention } from './sessionGroups';
import { details, rowDescription, type DetailRow } from './sessionRows';

type SessionNode = { kind: 'session'; session: SessionInfo };
type GroupNode = { kind: 'group'; id: string; label: string };
type Node = GroupNode | SessionNode | DetailRow;

const GROUP_THRESHOLD = 12;
/** Moves between groups are redrawn at most this often; the moved row shows its new state at once. */
const REGROUP_MS = 1000;
/** How long a click waits for VS Code to hand the clicked row back after a redraw. */
const CLICK_SETTLE_MS = 1500;

const STATUS_ICONS: Record<SessionStatus, [string, string | undefined]> = {
  queued: ['clock', 'descriptionForeground'],
  running: ['sync~spin', 'charts.blue'],
  waiting: ['bell-dot', 'charts.yellow'],
  paused: ['debug-pause', 'descriptionForeground'],
  stuck: ['warning', 'errorForeground'],
  // Not charts.orange: a translucent find-match fill, and no colour at all in high-contrast themes.
  'over-budget': ['credit-card', 'editorWarning.foreground'],
  done: ['pass-filled', 'charts.green'],
  failed: ['error', 'errorForeground'],
  stopped: ['debug-stop', 'descriptionForeground'],
  merged: ['git-merge', 'charts.purple'],
  discarded: ['trash', 'descriptionForeground'],
};

/**
 * Grouped, one spinner on the Running group says work is under way, and its rows hold a steady dot: a
 * window of spinning rows repaints for as long as a fleet runs, at a CPU cost the extension host then
 * waits behind (BENCHMARKS.md).
 */
const GROUPED_RUNNING_ICON: [string, string] = ['circle-filled', 'charts.blue'];

const GROUP_ICONS = new Map(GROUPS.map(g => [g.id, g.icon]));
const GROUP_ORDER = GROUPS.map(g => g.id);

function groupIdOf(s: SessionInfo): string | undefined {
  return groupOf(s)?.id;
}

export class SessionsTree extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly changeEmitter = this.register(new vscode.EventEmitter<Node | Node[] | undefined>());
  readonly onDidChangeTreeData = this.changeEmitter.event;
  readonly view: vscode.TreeView<Node>;
  private filter: string;
  /** Set in a window of several folders: the one repository whose sessions are listed, named in the view's description. */
  repoName: string | undefined;
  /** One node per session (and per group, below), kept: VS Code redraws the node it is given by identity. */
  private readonly nodes = new Map<string, SessionNode>();
  private readonly groupNodes = new Map<string, GroupNode>(GROUPS.map(g => [g.id, { kind: 'group', id: g.id, label: g.label }]));
  /** What the window was last given at the root (undefined until it asks). */
  private shown: TreeShape | undefined;
  private readonly plan = new RedrawPlan();
  private readonly throttle = new Throttle(REGROUP_MS, () => this.applyStructure());

  constructor(private readonly state: SessionState, private readonly memento: vscode.Memento) {
    super();
    this.filter = memento.get<string>(StateKeys.sessionFilter, '');
    this.sayFiltered();
    this.view = this.register(vscode.window.createTreeView('switchyard.sessions', { treeDataProvider: this, showCollapseAll: true }));
    this.register(state.onDidChangeSessions(changed => this.noteChanges(changed)));
    this.register(state.onDidRemoveSessions(ids => {
      for (const id of ids) {
        this.plan.remove(id, this.shown);
        this.nodes.delete(id);
      }
      if (this.plan.structural) this.throttle.trigger();
    }));
    this.register({ dispose: () => this.throttle.dispose() });
    this.updateChrome();
  }

  /** The session a command acts on when it was not given one: the selected row, if any. */
  selected(): SessionInfo | undefined {
    const node = this.view.selection[0];
    return node?.kind === 'session' ? this.state.get(node.session.id) : undefined;
  }

  /** Shows and selects a session's row (its group opens when the rows are grouped). */
  async reveal(session: SessionInfo): Promise<void> {
    // A row still waiting for its group's redraw is not in the tree VS Code knows yet.
    this.throttle.flush();
    await this.view.reveal(this.nodeFor(session), { select: true, focus: false }).then(undefined, () => undefined);
  }

  /**
   * The row a click just selected. Right after a redraw VS Code knows the row only once the window has
   * fetched it again, so this waits for that (briefly) instead of acting on nothing.
   */
  async clicked(): Promise<SessionInfo | undefined> {
    const deadline = Date.now() + CLICK_SETTLE_MS;
    while (!this.view.selection.length && Date.now() < deadline) await new Promise(r => setTimeout(r, 25));
    return this.selected();
  }

  async setFilter(text: string): Promise<void> {
    this.filter = text.trim();
    this.sayFiltered();
    await this.memento.update(StateKeys.sessionFilter, this.filter);
    this.refresh();
  }

  /** The title bar's filter button is drawn filled, with Clear beside it, while a filter is on. */
  private sayFiltered(): void {
    void vscode.commands.executeCommand('setContext', 'switchyard.sessionsFiltered', this.filter !== '');
  }

  get filterText(): string {
    return this.filter;
  }

  refresh(): void {
    this.plan.everything();
    this.applyStructure();
  }

  /**
   * A session that stays in its place is redrawn alone, at once. One that appears or changes group
   * shows its new state in its row at once, and moves with the next redraw of the groups concerned
   * (its place is known even when the window never fetched its row, as in a collapsed group).
   */
  private noteChanges(changed: readonly SessionInfo[]): void {
    for (const s of changed) {
      const node = this.nodes.get(s.id);
      if (node) {
        node.session = s;
        this.plan.row(s.id);
      }
      this.plan.place(s.id, this.placeOf(s), this.shown);
    }
    // Rows alone are cheap and the host already sends at most ten batches a second: shown at once.
    this.applyRows();
    if (this.plan.structural) this.throttle.trigger();
  }

  private applyRows(): void {
    this.updateChrome();
    const nodes = this.plan.takeRows().flatMap(id => this.nodes.get(id) ?? []);
    if (nodes.length) this.changeEmitter.fire(nodes);
  }

  private applyStructure(): void {
    this.updateChrome();
    const structure = this.plan.takeStructure(this.shown, this.shapeOf(this.visible()));
    if (structure.kind === 'root') this.changeEmitter.fire(undefined);
    else if (structure.kind === 'groups') this.changeEmitter.fire(structure.groups.flatMap(id => this.groupNodes.get(id) ?? []));
  }

  private nodeFor(s: SessionInfo): SessionNode {
    let node = this.nodes.get(s.id);
    if (!node) this.nodes.set(s.id, (node = { kind: 'session', session: s }));
    node.session = s;
    return node;
  }

  private matches(s: SessionInfo): boolean {
    return matchesFilter(s, this.filter);
  }

  private visible(): SessionInfo[] {
    return this.state.all.filter(s => this.matches(s));
  }

  /** Rows or groups, for these visible sessions. */
  private shapeOf(sessions: readonly SessionInfo[]): TreeShape {
    return shapeOf(sessions, GROUP_THRESHOLD, groupIdOf, GROUP_ORDER);
  }

  /** Its group, or undefined when the filter hides it. */
  private placeOf(s: SessionInfo): string | undefined {
    return this.matches(s) ? groupIdOf(s) : undefined;
  }

  private inGroup(id: string): SessionInfo[] {
    return this.visible().filter(s => groupIdOf(s) === id);
  }

  private chrome = { attention: -1, description: '' as string | undefined, message: '' as string | undefined };

  /** Badge, description and message: each a message to the window, so set only when it changes. */
  private updateChrome(): void {
    const all = this.state.all;
    // As the Needs attention group counts them.
    const attention = all.filter(needsAttention).length;
    if (attention !== this.chrome.attention) {
      this.chrome.attention = attention;
      this.view.badge = attention ? { value: attention, tooltip: `${plural(attention, 'session')} need${attention === 1 ? 's' : ''} your attention` } : undefined;
    }
    const running = all.filter(s => s.status === 'running' || s.status === 'waiting').length;
    // Of the sessions still open: merged and discarded ones are history, not capacity.
    const open = all.filter(s => OPEN_STATUSES.includes(s.status)).length;
    const parts = [...(this.repoName ? [this.repoName] : []), `${running}/${open} running`];
    if (this.filter) parts.push(`filter: ${this.filter}`);
    // With no session yet, still which repository of several New Session starts in.
    const description = all.length ? parts.join(' · ') : this.repoName;
    if (description !== this.chrome.description) this.view.description = this.chrome.description = description;
    const message = this.filter && !this.visible().length && all.length ? `No session matches "${this.filter}". Clear Sessions Filter (in the title bar) shows them all.` : undefined;
    if (message !== this.chrome.message) this.view.message = this.chrome.message = message;
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      this.updateChrome();
      const sessions = this.visible();
      this.shown = this.shapeOf(sessions);
      this.plan.seed(this.state.all.map(s => [s.id, this.placeOf(s)]));
      if (!this.shown.grouped) return sessions.map(s => this.nodeFor(s));
      return this.shown.groups.flatMap(id => this.groupNodes.get(id) ?? []);
    }
    if (node.kind === 'group') return this.inGroup(node.id).map(s => this.nodeFor(s));
    if (node.kind === 'session') return details(node.session);
    return [];
  }

  getParent(node: Node): Node | undefined {
    // The shape the rows have now: the window may not have fetched the root yet (a hidden view).
    if (node.kind !== 'session' || !this.shapeOf(this.visible()).grouped) return undefined;
    const id = groupIdOf(node.session);
    return id ? this.groupNodes.get(id) : undefined;
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
      // Counted when drawn: the group is redrawn whenever a session joins or leaves it.
      const count = this.inGroup(node.id).length;
      item.description = String(count);
      item.accessibilityInformation = { label: groupAccessibilityLabel(node.label, count) };
      item.iconPath = new vscode.ThemeIcon(GROUP_ICONS.get(node.id) ?? 'folder');
      item.contextValue = 'group';
      return item;
    }
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = node.description;
      item.iconPath = new vscode.ThemeIcon(node.icon);
      item.tooltip = node.tooltip;
      item.accessibilityInformation = { label: node.accessibilityLabel };
      item.contextValue = 'detail';
      return item;
    }
    const s = node.session;
    const item = new vscode.TreeItem(s.title, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `session:${s.id}`;
    const [icon, color] = s.status === 'running' && this.shown?.grouped ? GROUPED_RUNNING_ICON : STATUS_ICONS[s.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.description = rowDescription(s);
    item.contextValue = contextValue(s);
    item.accessibilityInformation = { label: `${s.title}, ${s.status}, ${usd(s.costUsd)}, ${s.tier} tier` };
    // No arguments: VS Code gives the window a row's command with arguments under an id that the row's
    // next redraw revokes, so a click landing just then failed with "Actual command not found". The
    // click selects the row, and this command opens the row the click selected.
    item.command = { command: 'switchyard.openClickedSession', title: 'Open Transcript' };
    return item;
  }
}

/** Flags in the context value drive which inline actions and menu items show (see package.json). */
function contextValue(s: SessionInfo): string {
  const flags = ['session'];
  const st = s.status;
  if (st === 'waiting') flags.push('approvable');
  if (ACTIVE_STATUSES.includes(st)) flags.push('pausable');
  // A failed session is retried (the same as a resume, under the name its row's state asks for).
  if (RESUMABLE_STATUSES.includes(st)) flags.push(st === 'failed' ? 'retryable' : 'resumable');
  if (STOPPABLE_STATUSES.includes(st)) flags.push('stoppable');
  // What runs, or may run again, has a tier and a budget worth changing; a finished session has neither.
  if (RUNNABLE_STATUSES.includes(st)) flags.push('runnable');
  if (OPEN_STATUSES.includes(st)) flags.push('open', 'reviewable');
  // Merged, with the worktree it could not remove: Discard removes it.
  else if (st === 'merged' && s.worktreeKept) flags.push('open');
  if (MERGEABLE_STATUSES.includes(st)) flags.push('mergeable');
  return flags.join(':');
}
