// The tier of the active session in the status bar; one click turns priority on or off (Set Tier… has flex).
import * as vscode from 'vscode';
import type { SessionInfo, Tier } from '../../protocol/types';

const ICONS: Record<Tier, string> = { priority: 'zap', standard: 'dash', flex: 'watch' };

/**
 * The priority toggle: priority goes back to standard, any other tier to priority. Each change is a message
 * to the agent (and the next request's cache prefix changes): going round through every tier would make
 * two changes where the user wanted one.
 */
export function toggledTier(t: Tier): Tier {
  return t === 'priority' ? 'standard' : 'priority';
}

export class TierItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('switchyard.tier', vscode.StatusBarAlignment.Left, 99);

  constructor() {
    this.item.name = 'Switchyard Tier';
    this.item.command = 'switchyard.toggleTier';
  }

  get text(): string {
    return this.item.text;
  }

  private shown = '';

  refresh(active: SessionInfo | undefined, defaultTier: Tier): void {
    const tier = active?.tier ?? defaultTier;
    const click = tier === 'priority' ? 'Click to turn priority off (standard).' : 'Click to switch to priority (about 2× the standard price).';
    const tooltip = active
      ? `Tier of "${active.title}": ${tier}${tier === 'priority' ? ', about 2× the standard price' : ''}. ${click} Set Tier… (in the session's menu) also has flex.`
      : `Tier of new sessions: ${tier} (switchyard.defaultTier). ${click}`;
    // Called on every session change: only a real change is sent to the window.
    if (this.shown === tooltip) return;
    this.shown = tooltip;
    // With no session whose tier still matters in front, it sets the tier of new sessions: said in the text too.
    this.item.text = `$(${ICONS[tier]}) ${active ? '' : 'new: '}${tier}`;
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: tooltip, role: 'button' };
    this.item.backgroundColor = tier === 'priority' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
