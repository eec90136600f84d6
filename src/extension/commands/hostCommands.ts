// The API key and the agent host itself.
import * as vscode from 'vscode';
import { apiKeyProblem } from '../../protocol/host';
import { STOPPED_WHILE_RUNNING } from '../../protocol/sessions';
import { StateKeys } from '../storage';
import type { CommandContext } from './context';
import { guarded } from './pick';

/** True when a key was saved. `quiet`: the caller says what follows (a retry it offers). */
export async function setApiKey(ctx: CommandContext, keyArg?: unknown, quiet?: unknown): Promise<boolean> {
  const key = typeof keyArg === 'string' ? keyArg : await vscode.window.showInputBox({
    title: 'Switchyard: API key',
    prompt: 'Kept in VS Code’s secret storage; agents never see it (they get a per-session token).',
    password: true,
    ignoreFocusOut: true,
    placeHolder: 'sk-…',
    validateInput: v => (v.trim() ? apiKeyProblem(v.trim())?.replace(/ Set it again.*$/, '') : 'Paste the key, or press Escape.'),
  });
  if (!key?.trim()) return false;
  await ctx.apiKeys.set(key);
  await ctx.pushConfiguration();
  if (typeof keyArg !== 'string' && quiet !== true) void vscode.window.showInformationMessage('Switchyard: API key saved.');
  return true;
}

export async function clearApiKey(ctx: CommandContext) {
  const had = await ctx.apiKeys.hasStoredKey();
  await ctx.apiKeys.clear();
  await ctx.pushConfiguration();
  // What is used from now on, said as it is: the environment's key, or none.
  const env = process.env.OPENAI_API_KEY?.trim() ? 'OPENAI_API_KEY from the environment VS Code was started with is used now' : 'no key is set now: "Switchyard: Set API Key" sets one';
  void vscode.window.showInformationMessage(`Switchyard: ${had ? 'the stored API key was removed' : 'no API key was stored'}; ${env}.`);
}

export async function restartHost(ctx: CommandContext) {
  const running = ctx.state.all.filter(s => s.status === 'running' || s.status === 'waiting').map(s => s.id);
  const restarted = await guarded('restarting the agent host', async () => {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Restarting the Switchyard agent host' }, () => ctx.host.restart());
    await ctx.state.reload();
    return true;
  });
  if (restarted) offerResumeOfPaused(ctx, running, 'the restart paused');
}

/**
 * The host that ended (restarted, or crashed) paused what it ran: said, with the way back, instead of left
 * for the user to find among the rows. Not awaited: nothing waits for the user's answer.
 */
export function offerResumeOfPaused(ctx: CommandContext, wereRunning: readonly string[], lead: string | ((paused: number) => string), severity: 'info' | 'warning' = 'info'): void {
  const paused = wereRunning.filter(id => ctx.state.get(id)?.status === 'paused');
  if (!paused.length) return;
  const n = paused.length;
  const text = `Switchyard: ${typeof lead === 'string' ? `${lead} ${n} running ${n === 1 ? 'session' : 'sessions'}.` : lead(n)}`;
  const resume = n === 1 ? 'Resume It' : `Resume All ${n}`;
  const asked = severity === 'warning' ? vscode.window.showWarningMessage(text, resume, 'Show Log') : vscode.window.showInformationMessage(text, resume, 'Show Log');
  void asked.then(async choice => {
    if (choice === 'Show Log') ctx.log.show(true);
    if (choice !== resume) return;
    for (const id of paused) await vscode.commands.executeCommand('switchyard.resumeSession', id);
  });
}

/**
 * When a window opens: this repository's sessions that were paused because the window (or run) they ran in
 * closed, reloaded or ended, offered for resuming together, once each. Left unsaid, a reload would leave a
 * fleet idle until someone looked. `only`: while the window is open, those another window or run left paused
 * just now.
 */
export function offerResumeAfterClose(ctx: CommandContext, memento: vscode.Memento, only?: readonly string[]): void {
  const paused = ctx.state.all.filter(s => s.status === 'paused' && s.statusReason?.startsWith(STOPPED_WHILE_RUNNING));
  // Once for each pause: a session resumed and paused again by the next reload is offered again, one whose
  // budget or tier changed while paused is not.
  const pauseOf = (s: (typeof paused)[number]) => `${s.id}@${s.statusAt ?? s.updatedAt}`;
  const offered = new Set(memento.get<string[]>(StateKeys.resumeOffered, []));
  const fresh = paused.filter(s => !offered.has(pauseOf(s)) && (!only || only.includes(s.id))).map(s => s.id);
  void memento.update(StateKeys.resumeOffered, paused.filter(s => offered.has(pauseOf(s)) || fresh.includes(s.id)).map(pauseOf));
  if (fresh.length) offerResumeOfPaused(ctx, fresh, n => (n === 1 ? '1 session was paused when the window or run running it closed.' : `${n} sessions were paused when the window or run running them closed.`));
}

export function showLog(ctx: CommandContext) {
  ctx.log.show(true);
}
