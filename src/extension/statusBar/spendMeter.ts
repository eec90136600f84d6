// The status-bar meter: today's spend and cache share; the tooltip has the month, the tiers, the priority
// premium and the top sessions. At 80% of a cap, and when a cap stops work, it says so in words and colour.
import * as vscode from 'vscode';
import type { SpendSummary } from '../../protocol/spend';
import { monthLabel } from '../../protocol/calendar';
import { percent, usd } from '../views/format';
import { meterFace, type MeterFace } from './meterFace';

/** The tooltip is a table: rebuilt at most this often while spend streams in (the text is always current). */
const TOOLTIP_MS = 2000;

export class SpendMeter implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('switchyard.spend', vscode.StatusBarAlignment.Left, 100);
  private tooltipAt = 0;
  private tooltipTimer: NodeJS.Timeout | undefined;
  private latest: SpendSummary | undefined;

  constructor() {
    this.item.name = 'Switchyard Spend';
    this.item.command = 'switchyard.showSpend';
    this.item.text = '$(pulse) Switchyard';
    this.item.tooltip = 'Switchyard: no spend yet today';
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  refresh(s: SpendSummary): void {
    const face = meterFace(s);
    // Every setter is a message to the window: set only what changed.
    if (face.text !== this.item.text) {
      this.item.text = face.text;
      this.item.accessibilityInformation = { label: face.label };
    }
    if (face.level !== this.level) {
      this.level = face.level;
      this.item.backgroundColor = face.level === 'none' ? undefined : new vscode.ThemeColor(`statusBarItem.${face.level}Background`);
    }
    this.latest = s;
    const wait = this.tooltipAt + TOOLTIP_MS - Date.now();
    if (wait <= 0) this.updateTooltip();
    else this.tooltipTimer ??= setTimeout(() => this.updateTooltip(), wait);
  }

  private level: MeterFace['level'] = 'none';

  private updateTooltip(): void {
    if (this.tooltipTimer) clearTimeout(this.tooltipTimer);
    this.tooltipTimer = undefined;
    this.tooltipAt = Date.now();
    if (this.latest) this.item.tooltip = tooltip(this.latest);
  }

  dispose(): void {
    if (this.tooltipTimer) clearTimeout(this.tooltipTimer);
    this.item.dispose();
  }
}

function tooltip(s: SpendSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.isTrusted = { enabledCommands: ['switchyard.showSpend', 'switchyard.setBudgets', 'switchyard.exportSpend'] };
  const t = s.today;
  const m = s.thisMonth;
  md.appendMarkdown(`**Switchyard spend**\n\n`);
  // A hover's table has no space between its columns: each figure keeps some of its own.
  const row = (label: string, today: string | number, month: string | number) => `| ${label} | &nbsp;&nbsp;${today} | &nbsp;&nbsp;${month} |\n`;
  md.appendMarkdown(`| | &nbsp;&nbsp;Today | &nbsp;&nbsp;${monthLabel(s.month)} |\n|---|---:|---:|\n`);
  // "~": the figure includes estimates, as the CLI's tables mark it.
  const spend = (f: typeof t) => `${usd(f.costUsd)}${f.estimatedRequests ? '~' : ''}`;
  md.appendMarkdown(row('Spend', spend(t), spend(m)));
  md.appendMarkdown(row('Cached input', percent(t.cacheShare), percent(m.cacheShare)));
  md.appendMarkdown(row('Requests', t.usage.requests, m.usage.requests));
  // "unknown": responses cut before the provider said which tier served them (metered as estimates).
  for (const tier of ['priority', 'standard', 'flex', 'unknown'] as const) {
    const label = tier === 'unknown' ? 'Tier unknown (cut short)' : `${tier[0]!.toUpperCase()}${tier.slice(1)}`;
    if (t.costByTier[tier] || m.costByTier[tier]) md.appendMarkdown(row(label, usd(t.costByTier[tier]), usd(m.costByTier[tier])));
  }
  md.appendMarkdown(row('**Priority premium**', usd(t.priorityPremiumUsd), usd(m.priorityPremiumUsd)));
  if (t.unpricedRequests || m.unpricedRequests) md.appendMarkdown(row('Unpriced requests', t.unpricedRequests, m.unpricedRequests));
  if (t.estimatedRequests || m.estimatedRequests) md.appendMarkdown(row('Estimated requests ~', t.estimatedRequests, m.estimatedRequests));
  md.appendMarkdown(`\n_Priority premium: what the priority tier cost beyond the same work at standard prices._\n\n`);
  if (m.estimatedRequests) md.appendMarkdown(`_~ includes estimated requests: their usage never came whole (a stream cut, a process killed), so they are metered from what arrived, or at their most._\n\n`);
  if (s.budgets.length) {
    md.appendMarkdown(`**Budgets**: `);
    // Held for requests under way counts against a cap, but is not spent: said apart, as the Spend view does.
    md.appendMarkdown(s.budgets.map(b => `${b.scope} ${usd(b.spentUsd)} of ${usd(b.capUsd)}${b.reservedUsd > 0 ? ` (+ ${usd(b.reservedUsd)} held for requests under way)` : ''}`).join(' · '));
    md.appendMarkdown('\n\n');
  }
  if (s.topSessions.length) {
    md.appendMarkdown(`**Top sessions this month**\n\n`);
    for (const top of s.topSessions) {
      // appendText shows a title as typed: markdown and theme-icon syntax in it escaped, nothing dropped.
      md.appendMarkdown('- ');
      md.appendText(top.repoName ? `${top.title} (${top.repoName})` : top.title);
      md.appendMarkdown(`: ${usd(top.costUsd)}\n`);
    }
  }
  md.appendMarkdown(`\n[Show spend](command:switchyard.showSpend) · [Set budgets](command:switchyard.setBudgets) · [Export CSV](command:switchyard.exportSpend)`);
  return md;
}
