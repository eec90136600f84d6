// Which group a session is listed under, and which sessions a filter keeps. Free of `vscode`: unit-tested.
import type { SessionInfo, SessionStatus } from '../../protocol/types';
import { plural } from './numbers';

export interface SessionGroup { id: string; label: string; icon: string; statuses: SessionStatus[] }

export const ATTENTION: SessionGroup = { id: 'attention', label: 'Needs attention', icon: 'warning', statuses: ['waiting', 'stuck', 'over-budget', 'failed'] };

export const GROUPS: SessionGroup[] = [
  ATTENTION,
  { id: 'running', label: 'Running', icon: 'sync~spin', statuses: ['running'] },
  { id: 'queued', label: 'Queued', icon: 'clock', statuses: ['queued'] },
  { id: 'paused', label: 'Paused or stopped', icon: 'debug-pause', statuses: ['paused', 'stopped'] },
  { id: 'done', label: 'Ready to review', icon: 'pass', statuses: ['done'] },
  { id: 'closed', label: 'Merged or discarded', icon: 'archive', statuses: ['merged', 'discarded'] },
];

/** Stopped by the loop guard (looping again after a resume): it has ended, and still wants a decision. */
function stoppedByGuard(s: SessionInfo): boolean {
  return s.status === 'stopped' && s.guard?.level === 'stop';
}

export function groupOf(s: SessionInfo): SessionGroup | undefined {
  return stoppedByGuard(s) ? ATTENTION : GROUPS.find(g => g.statuses.includes(s.status));
}

/** Listed under Needs attention, and counted on the activity bar's badge. */
export function needsAttention(s: SessionInfo): boolean {
  return groupOf(s) === ATTENTION;
}

/** What a screen reader says for a group row: its count is a bare number on screen. */
export function groupAccessibilityLabel(label: string, count: number): string {
  return `${label}, ${plural(count, 'session')}`;
}

/** Lower case, with runs of spaces, hyphens and underscores as one space: "over budget" finds over-budget. */
function normalised(text: string): string {
  return text.toLowerCase().replace(/[\s\-_]+/g, ' ').trim();
}

const STATUSES = GROUPS.flatMap(g => g.statuses);

/**
 * True when the filter is empty or found in a field the row shows, or in the name of the group the session
 * is listed under (so "attention" finds what the Needs attention group holds, grouped or not). A filter
 * naming a status keeps to it: "stopped" does not also find the paused sessions of "Paused or stopped".
 */
export function matchesFilter(s: SessionInfo, filter: string): boolean {
  const f = normalised(filter);
  if (!f) return true;
  const fields = [s.title, s.status, s.tier, s.role, s.branch, s.id, s.model];
  if (!STATUSES.some(st => normalised(st).includes(f))) fields.push(groupOf(s)?.label ?? '');
  return fields.some(v => normalised(v).includes(f));
}
