// Every command, in one table. scripts/check-manifest.mjs checks it against package.json both ways.
import * as vscode from 'vscode';
import type { CommandContext, CommandHandler } from './context';
import { clearApiKey, restartHost, setApiKey, showLog } from './hostCommands';
import { newSession } from './newSession';
import { chooseRepository } from './repoChoice';
import { sayRowWasRedrawn } from './pick';
import { discardSession, mergeSession, openWorktree, pruneWorktrees, showChanges } from './reviewCommands';
import {
  clearSessionsFilter, filterSessions, keepTranscriptOpen, openClickedSession, openTranscript, pauseSession, raiseSessionBudget, refresh, resumeSession, resumeWithHint,
  retrySession, reviewCommand, saveTrace, setTier, stopSession, toggleTier,
} from './sessionCommands';
import { exportSpend, setBudgets, showSpend } from './spendCommands';

export const COMMANDS: Readonly<Record<string, CommandHandler>> = {
  'switchyard.newSession': newSession,
  'switchyard.setApiKey': setApiKey,
  'switchyard.clearApiKey': clearApiKey,
  'switchyard.restartHost': restartHost,
  'switchyard.showLog': showLog,
  'switchyard.refresh': refresh,
  'switchyard.chooseRepository': chooseRepository,
  'switchyard.filterSessions': filterSessions,
  // The same, drawn filled in the view's title bar while a filter is on.
  'switchyard.filterSessionsActive': filterSessions,
  'switchyard.clearSessionsFilter': clearSessionsFilter,
  'switchyard.reviewCommand': reviewCommand,
  'switchyard.pauseSession': pauseSession,
  'switchyard.resumeSession': resumeSession,
  'switchyard.resumeWithHint': resumeWithHint,
  'switchyard.stopSession': stopSession,
  'switchyard.retrySession': retrySession,
  'switchyard.showChanges': showChanges,
  'switchyard.openWorktree': openWorktree,
  'switchyard.openTranscript': openTranscript,
  'switchyard.openClickedSession': openClickedSession,
  'switchyard.keepTranscriptOpen': keepTranscriptOpen,
  'switchyard.mergeSession': mergeSession,
  'switchyard.discardSession': discardSession,
  'switchyard.setTier': setTier,
  'switchyard.toggleTier': toggleTier,
  'switchyard.setBudgets': setBudgets,
  'switchyard.raiseSessionBudget': raiseSessionBudget,
  'switchyard.exportSpend': exportSpend,
  'switchyard.showSpend': showSpend,
  'switchyard.saveTrace': saveTrace,
  'switchyard.pruneWorktrees': pruneWorktrees,
};

/**
 * The commands of a session row's inline buttons and context menu (package.json's view/item/context;
 * scripts/check-manifest.mjs keeps the two alike). VS Code gives them the row; for a row it has
 * forgotten in a redraw it gives undefined, which must not fall back to the selected row: that may be
 * another session.
 */
export const ROW_COMMANDS: ReadonlySet<string> = new Set([
  'switchyard.reviewCommand', 'switchyard.pauseSession', 'switchyard.resumeSession', 'switchyard.resumeWithHint', 'switchyard.stopSession',
  'switchyard.retrySession', 'switchyard.showChanges', 'switchyard.openTranscript', 'switchyard.openWorktree',
  'switchyard.setTier', 'switchyard.raiseSessionBudget', 'switchyard.saveTrace', 'switchyard.mergeSession',
  'switchyard.discardSession',
]);

export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, handler]) => vscode.commands.registerCommand(id, (...args: unknown[]) => {
    // From the palette or a key there is no argument at all; an argument that is missing is a lost row.
    if (ROW_COMMANDS.has(id) && args.length > 0 && args[0] == null) return sayRowWasRedrawn();
    return handler(ctx, ...args);
  }));
}
