// The session tooltip shared by the tree and the pickers, and the number formats (from numbers.ts).
import * as vscode from 'vscode';
import type { SessionInfo } from '../../protocol/types';
import { cacheShare, tokens, usd } from './numbers';
import { guardInReason } from './sessionRows';

export { cacheShare, percent, plural, tokens, usd } from './numbers';

export function sessionTooltip(s: SessionInfo): vscode.MarkdownString {
  const u = s.usage;
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(s.title)}** — ${s.status}\n\n`);
  if (s.statusReason) md.appendMarkdown(`${escape(s.statusReason)}\n\n`);
  md.appendMarkdown(`| | |\n|---|---|\n`);
  md.appendMarkdown(`| Cost | ${usd(s.costUsd)}${s.unpricedRequests ? ` + ${s.unpricedRequests} unpriced` : ''} |\n`);
  md.appendMarkdown(`| Tier | ${s.tier} |\n`);
  md.appendMarkdown(`| Tokens | in ${tokens(u.input)}, cached ${tokens(u.cached)} (${cacheShare(s)}), out ${tokens(u.output)}, reasoning ${tokens(u.reasoning)} |\n`);
  md.appendMarkdown(`| Requests | ${u.requests} |\n`);
  md.appendMarkdown(`| Budget | ${s.budgetUsd === null ? 'day/month caps' : usd(s.budgetUsd)} |\n`);
  md.appendMarkdown(`| Branch | \`${s.branch}\` from \`${s.baseBranch}\` |\n`);
  md.appendMarkdown(`| Agent | ${s.agent} · ${s.role} · ${escape(s.model)} |\n`);
  if (s.confinement) md.appendMarkdown(`| Commands | ${s.confinement}${s.confinementNote ? ` — ${escape(s.confinementNote)}` : ''} |\n`);
  if (s.guard.level !== 'ok') {
    // Stuck, the status reason above already gives the guard's reason.
    const reason = s.guard.reason && !guardInReason(s) ? `: ${escape(s.guard.reason)}` : '';
    md.appendMarkdown(`\n$(warning) Loop guard (${s.guard.level})${reason}\n`);
  }
  return md;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, c => `\\${c}`);
}
