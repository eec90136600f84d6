// Numbers as people read them, and the session tooltip shared by the tree and the pickers.
import * as vscode from 'vscode';
import { percent } from '../../protocol/percent';
import type { SessionInfo } from '../../protocol/types';

export { percent };

export function money(usd: number): string {
  if (usd === 0) return '$0.00';
  if (Math.abs(usd) < 1) return `$${usd.toFixed(usd < 0.01 ? 4 : 3)}`;
  return `$${usd.toFixed(2)}`;
}

export function tokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 2 : 1)}M`;
}

export function cacheShare(s: SessionInfo): string {
  return percent(s.usage.input > 0 ? s.usage.cached / s.usage.input : 0);
}

export function sessionTooltip(s: SessionInfo): vscode.MarkdownString {
  const u = s.usage;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(s.title)}** — ${s.status}\n\n`);
  if (s.statusReason) md.appendMarkdown(`${escape(s.statusReason)}\n\n`);
  md.appendMarkdown(`| | |\n|---|---|\n`);
  md.appendMarkdown(`| Cost | ${money(s.costUsd)}${s.unpricedRequests ? ` + ${s.unpricedRequests} unpriced` : ''} |\n`);
  md.appendMarkdown(`| Tier | ${s.tier} |\n`);
  md.appendMarkdown(`| Tokens | in ${tokens(u.input)}, cached ${tokens(u.cached)} (${cacheShare(s)}), out ${tokens(u.output)}, reasoning ${tokens(u.reasoning)} |\n`);
  md.appendMarkdown(`| Requests | ${u.requests} |\n`);
  md.appendMarkdown(`| Budget | ${s.budgetUsd === null ? 'day/month caps' : money(s.budgetUsd)} |\n`);
  md.appendMarkdown(`| Branch | \`${s.branch}\` from \`${s.baseBranch}\` |\n`);
  md.appendMarkdown(`| Agent | ${s.agent} · ${s.role} · ${escape(s.model)} |\n`);
  if (s.confinement) md.appendMarkdown(`| Commands | ${s.confinement}${s.confinementNote ? ` — ${escape(s.confinementNote)}` : ''} |\n`);
  if (s.guard.level !== 'ok') md.appendMarkdown(`\n$(warning) Loop guard (${s.guard.level}): ${escape(s.guard.reason ?? '')}\n`);
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, c => `\\${c}`);
}
