// The tier of the active session in the status bar; one click switches it (priority → standard → flex).
import * as vscode from 'vscode';
import type { SessionInfo, Tier } from '../../protocol/types';

const ICONS: Record<Tier, string> = { priority: 'zap', standard: 'dash', flex: 'watch' };

export function nextTier(t: Tier): Tier {
  return t === 'priority' ? 'standard' : t === 'standard' ? 'flex' : 'priority';
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
    const tooltip = active
      ? `Tier of "${active.title}": ${tier}. Click to switch to ${nextTier(tier)}.${tier === 'priority' ? ' Priority costs about 2× standard.' : ''}`
      : `Default tier for new sessions: ${tier}. Click to switch to ${nextTier(tier)}.`;
    // Called on every session change: only a real change is sent to the window.
    if (this.shown === tooltip) return;
    this.shown = tooltip;
    this.item.text = `$(${ICONS[tier]}) ${tier}`;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = tier === 'priority' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
