// Words and icons for the protocol's enumerations, in one place so both views say the same thing.
import type { Confinement, GuardLevel, SessionStatus, Tier } from '../protocol/types';

export const STATUS: Record<SessionStatus, { label: string; icon: string }> = {
  queued: { label: 'Queued', icon: 'clock' },
  running: { label: 'Running', icon: 'play' },
  waiting: { label: 'Waiting for you', icon: 'bell-dot' },
  paused: { label: 'Paused', icon: 'debug-pause' },
  stuck: { label: 'Stuck', icon: 'warning' },
  'over-budget': { label: 'Over budget', icon: 'credit-card' },
  done: { label: 'Done', icon: 'pass' },
  failed: { label: 'Failed', icon: 'error' },
  stopped: { label: 'Stopped', icon: 'debug-stop' },
  merged: { label: 'Merged', icon: 'git-merge' },
  discarded: { label: 'Discarded', icon: 'trash' },
};

export const TIER: Record<Tier, { label: string; icon: string; note: string }> = {
  priority: { label: 'Priority', icon: 'rocket', note: 'Fastest; about 2× the standard price (2.5× on gpt-5.5)' },
  standard: { label: 'Standard', icon: 'circle-large-outline', note: "The API's default tier and price" },
  flex: { label: 'Flex', icon: 'watch', note: 'Half the standard price; slower, sometimes briefly unavailable' },
};

export const GUARD: Record<GuardLevel, { label: string; icon: string }> = {
  ok: { label: 'OK', icon: 'shield' },
  warn: { label: 'Warning', icon: 'warning' },
  downgrade: { label: 'Tier lowered', icon: 'arrow-down' },
  pause: { label: 'Paused', icon: 'debug-pause' },
  stop: { label: 'Stopped', icon: 'debug-stop' },
};

export const CONFINEMENT: Record<Confinement, { label: string; icon: string; risky: boolean }> = {
  sandboxed: { label: 'Sandboxed', icon: 'shield', risky: false },
  asking: { label: 'Asks before commands', icon: 'question', risky: false },
  unconfined: { label: 'Unconfined', icon: 'unlock', risky: true },
  'read-only': { label: 'Read-only', icon: 'lock', risky: false },
};

/** Codicon for a tool, by the names the built-in agent and Codex use. */
export function toolIcon(name: string | null): string {
  const n = (name ?? '').toLowerCase();
  if (/command|shell|exec|run|bash/.test(n)) return 'terminal';
  if (/patch|write|edit|apply|create/.test(n)) return 'edit';
  if (/search|grep|find/.test(n)) return 'search';
  if (/list|ls|tree/.test(n)) return 'list-tree';
  if (/read|open|view|cat/.test(n)) return 'file';
  if (/finish|done|summary/.test(n)) return 'check-all';
  return 'tools';
}
