// What a session's row and its detail rows say, as data. Free of `vscode`, so the wording is unit-tested.
import type { SessionInfo } from '../../protocol/types';
import { cacheShare, plural, tokens, usd } from './numbers';

export interface DetailRow {
  kind: 'detail';
  id: string;
  label: string;
  description: string;
  icon: string;
  tooltip?: string;
  /** What a screen reader says: VS Code would read the tooltip alone, when there is one. */
  accessibilityLabel: string;
}

export function rowDescription(s: SessionInfo): string {
  const parts: string[] = [];
  if (s.status === 'queued' && s.queuePosition) parts.push(`queued #${s.queuePosition}`);
  // A running session only has a reason while it waits to retry a request (a 429, an outage).
  else if (s.status === 'running' && s.statusReason) parts.push('retrying');
  // Stopped by the day or month cap, not its own budget: the cap is named (its own may be barely used).
  else if (s.status === 'over-budget' && (s.statusCause === 'day-budget' || s.statusCause === 'month-budget')) parts.push(`paused by ${s.statusCause === 'day-budget' ? 'day' : 'month'} cap`);
  else if (s.status !== 'running' && s.status !== 'done') parts.push(s.status);
  parts.push(s.unpricedRequests && !s.costUsd ? 'unpriced' : usd(s.costUsd));
  if (s.usage.input > 0) parts.push(`${cacheShare(s)} cached`);
  parts.push(s.tier);
  // Not where the status says it already: stuck or stopped is the guard's pause or stop.
  const said = (s.guard.level === 'pause' || s.guard.level === 'stop') && (s.status === 'stuck' || s.status === 'stopped');
  if (s.guard.level !== 'ok' && !said) parts.push(`⚠ ${GUARD_WORDS[s.guard.level]}`);
  return parts.join(' · ');
}

/** The loop guard's level as a row says it: what it did, not its setting's name. */
const GUARD_WORDS: Record<Exclude<SessionInfo['guard']['level'], 'ok'>, string> = {
  warn: 'may be looping',
  downgrade: 'looping: moved to a cheaper tier',
  pause: 'loop guard paused it',
  stop: 'loop guard stopped it',
};

/** A stuck session's reason is the loop guard's, with what it spent: said once, not in two places. */
export function guardInReason(s: SessionInfo): boolean {
  return !!s.guard.reason && !!s.statusReason?.includes(s.guard.reason);
}

export function details(s: SessionInfo): DetailRow[] {
  const id = (k: string) => `detail:${s.id}:${k}`;
  const u = s.usage;
  const rows: Omit<DetailRow, 'accessibilityLabel'>[] = [];
  const guarded = s.guard.level !== 'ok' && !!s.guard.reason;
  if (s.statusReason && !(guarded && guardInReason(s))) rows.push({ kind: 'detail', id: id('reason'), label: s.statusReason, description: '', icon: 'info', tooltip: s.statusReason });
  if (guarded) {
    rows.push({ kind: 'detail', id: id('guard'), label: `Loop guard: ${s.guard.reason}`, description: `${usd(s.guard.spentSinceProgressUsd)} since progress`, icon: 'warning', tooltip: s.guard.reason });
  }
  rows.push(
    { kind: 'detail', id: id('tokens'), label: 'Tokens', description: `in ${tokens(u.input)} · cached ${tokens(u.cached)} · cache-write ${tokens(u.cacheWrite)} · out ${tokens(u.output)} · reasoning ${tokens(u.reasoning)}`, icon: 'symbol-numeric' },
    { kind: 'detail', id: id('requests'), label: 'Requests', description: `${u.requests}${s.estimatedRequests ? ` (${s.estimatedRequests} estimated)` : ''} · ${plural(s.turns, 'turn')}`, icon: 'pulse' },
    { kind: 'detail', id: id('cost'), label: 'Cost by tier', description: costByTier(s), icon: 'credit-card' },
    { kind: 'detail', id: id('budget'), label: 'Budget', description: s.budgetUsd === null ? 'day and month caps only' : `${usd(s.costUsd)} of ${usd(s.budgetUsd)}`, icon: 'law' },
    { kind: 'detail', id: id('branch'), label: s.branch, description: `from ${s.baseBranch} · ${s.agent}${s.role ? ` · ${s.role}` : ''}`, icon: 'git-branch', tooltip: `Worktree: ${s.worktree}` },
  );
  if (s.confinement) {
    rows.push({ kind: 'detail', id: id('confinement'), label: `Commands: ${s.confinement}`, description: s.confinementNote ?? '', icon: s.confinement === 'sandboxed' ? 'shield' : 'unlock', tooltip: s.confinementNote });
  }
  if (s.cacheBreaks) rows.push({ kind: 'detail', id: id('cache'), label: plural(s.cacheBreaks, 'cache break'), description: `${usd(s.cacheBreakLossUsd)} lost`, icon: 'debug-disconnect' });
  return rows.map(r => ({ ...r, accessibilityLabel: spoken(r) }));
}

/** The visible text, then the tooltip when it adds to it; "·" separators read as pauses. */
function spoken(r: Omit<DetailRow, 'accessibilityLabel'>): string {
  const parts = [r.label, r.description, r.tooltip && !r.label.includes(r.tooltip) ? r.tooltip : ''];
  return parts.filter(Boolean).join(', ').replace(/ · /g, ', ');
}

function costByTier(s: SessionInfo): string {
  const parts = (['priority', 'standard', 'flex', 'unknown'] as const).filter(t => s.costByTier[t] > 0).map(t => `${t} ${usd(s.costByTier[t])}`);
  if (s.priorityPremiumUsd > 0) parts.push(`priority premium ${usd(s.priorityPremiumUsd)}`);
  if (s.unpricedRequests) parts.push(`${s.unpricedRequests} unpriced`);
  return parts.join(' · ') || usd(0);
}
