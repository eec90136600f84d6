// Commands that change a session's run: pause, resume (with a hint), stop, retry, tier, budget, trace.
import * as vscode from 'vscode';
import { SessionsProtocol } from '../../protocol/sessions';
import { SpendProtocol } from '../../protocol/spend';
import { ACTIVE_STATUSES, RESUMABLE_STATUSES, RUNNABLE_STATUSES, STOPPABLE_STATUSES, TIERS, type SessionInfo, type Tier } from '../../protocol/types';
import { updateInForce } from '../settings';
import { toggledTier } from '../statusBar/tierItem';
import type { CommandContext } from './context';
import { defaultTierChanged, noSessionForTier } from './defaultTier';
import { tierItems } from './newSession';
import { dollarsIn, isDollars } from './dollars';
import { errorText, guarded, refusedUntrusted, resolveSession, saveTarget, sayRowWasRedrawn } from './pick';
import { resumeRefusal } from './startRefusal';
import { plainText } from '../plainText';

async function apply(ctx: CommandContext, what: string, fn: () => Promise<SessionInfo>): Promise<SessionInfo | undefined> {
  const s = await guarded(what, fn);
  if (s) ctx.state.update(s);
  return s;
}

export async function pauseSession(ctx: CommandContext, arg?: unknown) {
  const s = await resolveSession(ctx, arg, ACTIVE_STATUSES, 'pause');
  return s && apply(ctx, `pausing "${s.title}"`, () => ctx.host.request(SessionsProtocol.pause, { sessionId: s.id }));
}

/** Shows the command a waiting agent asks to run, whole, to approve or deny it (also when its notification is gone). */
export async function reviewCommand(ctx: CommandContext, arg?: unknown) {
  const s = await resolveSession(ctx, arg, ['waiting'], 'review the command of');
  if (!s) return;
  if (!ctx.approvals.isWaiting(s.id)) {
    // A CLI run never asks (it runs such a session only with --approve-commands): another window runs it.
    void vscode.window.showInformationMessage(`Switchyard: "${s.title}" runs in another VS Code window, which asks for its commands: answer there, or pause it there and resume it here to answer here.`);
    return;
  }
  await ctx.approvals.review(s.id);
}

export async function resumeSession(ctx: CommandContext, arg?: unknown, hint?: unknown): Promise<SessionInfo | undefined> {
  if (refusedUntrusted('no session is resumed')) return undefined;
  const s = await resolveSession(ctx, arg, RESUMABLE_STATUSES, 'resume');
  if (!s) return undefined;
  const what = `resuming "${s.title}"`;
  try {
    const resumed = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Switchyard: ${what}` }, () =>
      ctx.host.request(SessionsProtocol.resume, { sessionId: s.id, hint: typeof hint === 'string' ? hint : undefined }));
    ctx.state.update(resumed);
    return resumed;
  } catch (err) {
    const why = errorText(err);
    // No room under a cap or its budget: the fix is offered where it is said, then the resume again.
    const fix = resumeRefusal(why, s.id);
    const choice = await vscode.window.showErrorMessage(`Switchyard: ${what}: ${plainText(why)}`, ...(fix ? [fix.action] : []));
    if (!fix || choice !== fix.action) return undefined;
    await vscode.commands.executeCommand(fix.command!, ...(fix.args ?? []));
    if ((await vscode.window.showInformationMessage(`Resume "${s.title}" now?`, 'Resume')) !== 'Resume') return undefined;
    return resumeSession(ctx, s.id, hint);
  }
}

export async function resumeWithHint(ctx: CommandContext, arg?: unknown, given?: unknown) {
  if (refusedUntrusted('no session is resumed')) return undefined;
  const s = await resolveSession(ctx, arg, RESUMABLE_STATUSES, 'resume');
  if (!s) return undefined;
  const hint = typeof given === 'string' ? given : await vscode.window.showInputBox({
    title: `Resume "${s.title}" with a hint`,
    prompt: s.guard.reason ? `The loop guard said: ${s.guard.reason}` : 'Tell the agent what to do differently.',
    placeHolder: 'e.g. The test fails because the fixture is stale; regenerate it with npm run fixtures',
    ignoreFocusOut: true,
  });
  if (hint === undefined) return undefined;
  if (!hint.trim()) {
    // Enter on an empty box: not a cancel, so not silent.
    void vscode.window.showInformationMessage(`No hint was typed, so "${s.title}" was not resumed. Resume goes on without one.`);
    return undefined;
  }
  return apply(ctx, `resuming "${s.title}"`, () => ctx.host.request(SessionsProtocol.resume, { sessionId: s.id, hint }));
}

export async function stopSession(ctx: CommandContext, arg?: unknown) {
  const s = await resolveSession(ctx, arg, STOPPABLE_STATUSES, 'stop');
  return s && apply(ctx, `stopping "${s.title}"`, () => ctx.host.request(SessionsProtocol.stop, { sessionId: s.id }));
}

export async function retrySession(ctx: CommandContext, arg?: unknown) {
  if (refusedUntrusted('no session is retried')) return undefined;
  const s = await resolveSession(ctx, arg, ['failed'], 'retry');
  return s && apply(ctx, `retrying "${s.title}"`, () => ctx.host.request(SessionsProtocol.retry, { sessionId: s.id }));
}

/** Tier for the chosen session, or the default for new sessions. Only a session that runs or may run again is offered: a finished one's tier no longer matters. */
export async function setTier(ctx: CommandContext, arg?: unknown, tierArg?: unknown) {
  const tier = typeof tierArg === 'string' && (TIERS as readonly string[]).includes(tierArg) ? (tierArg as Tier) : undefined;
  const givenSession = typeof arg === 'string' || (typeof arg === 'object' && arg !== null);
  const s = givenSession ? await resolveSession(ctx, arg, RUNNABLE_STATUSES, 'set the tier of') : ctx.activeSession();
  // Refused (finished) or not picked: not taken as a change of the default instead.
  if (givenSession && !s) return undefined;
  let chosen = tier;
  let asDefault = false;
  if (!chosen) {
    const items: (vscode.QuickPickItem & { tier?: Tier; asDefault?: boolean })[] = [];
    if (s) {
      items.push({ label: `Session "${s.title}" (now ${s.tier})`, kind: vscode.QuickPickItemKind.Separator });
      items.push(...tierItems().map(i => ({ ...i, tier: i.label as Tier })));
    }
    items.push({ label: `Default for new sessions (now ${defaultTier()})`, kind: vscode.QuickPickItemKind.Separator });
    items.push(...tierItems().map(i => ({ ...i, label: i.label, description: `default · ${i.description ?? ''}`, tier: i.label as Tier, asDefault: true })));
    const placeHolder = s ? undefined : 'No session that runs or can be resumed is selected or open: this sets the tier new sessions start at';
    const pick = await vscode.window.showQuickPick(items, { title: 'Switchyard: Set Tier', placeHolder });
    if (!pick?.tier) return undefined;
    chosen = pick.tier;
    asDefault = pick.asDefault === true;
  }
  if (asDefault || !s) {
    await setDefaultTier(chosen);
    return undefined;
  }
  ctx.setActiveSession(s.id);
  const updated = await guarded(`setting the tier of "${s.title}"`, () => ctx.host.request(SessionsProtocol.setTier, { sessionId: s.id, tier: chosen! }));
  if (updated) ctx.state.update(updated);
  return updated ?? undefined;
}

/** The status-bar tier item: one click moves the active session (or the default) to the next tier. */
export async function toggleTier(ctx: CommandContext) {
  const s = ctx.activeSession();
  if (s) return setTier(ctx, s.id, toggledTier(s.tier));
  // From the palette the command names the active session: changing a setting instead is said, with its price
  // (and, when the session selected has ended, that its tier no longer matters).
  await setDefaultTier(toggledTier(defaultTier()), noSessionForTier(ctx.tree.selected()));
  return undefined;
}

function defaultTier(): Tier {
  return vscode.workspace.getConfiguration('switchyard').get<Tier>('defaultTier', 'standard');
}

async function setDefaultTier(tier: Tier, why?: string): Promise<void> {
  const previous = defaultTier();
  await updateInForce('defaultTier', tier);
  void vscode.window.showInformationMessage(defaultTierChanged(tier, previous, why));
}

export async function raiseSessionBudget(ctx: CommandContext, arg?: unknown, amount?: unknown) {
  const s = await resolveSession(ctx, arg, RUNNABLE_STATUSES, 'raise the budget of');
  if (!s) return;
  const refusal = (v: string): string | undefined => {
    if (!isDollars(v, s.costUsd, true)) return `A number of dollars, more than what it spent ($${s.costUsd.toFixed(4)}).`;
    // Stopped by its own budget, a lower one would only stop it again at once.
    // (Stopped by it, not always spent up to it: what was left could not pay for the next request.)
    if (s.status === 'over-budget' && s.statusCause === 'session-budget' && s.budgetUsd !== null && dollarsIn(v) <= s.budgetUsd) return `More than its budget of $${s.budgetUsd}, which stopped it: what was left could not pay for its next request.`;
    const need = s.status === 'over-budget' && s.statusCause === 'session-budget' ? s.overBudgetNeedUsd : undefined;
    const micro = (usd: number) => Math.round(usd * 1e6);
    if (need !== undefined && micro(dollarsIn(v)) < micro(s.costUsd) + micro(need)) return `At least $${(Math.ceil((s.costUsd + need) * 1e4) / 1e4).toFixed(4)}: what it spent ($${s.costUsd.toFixed(4)}) and what its next request needs (up to $${need.toFixed(4)}).`;
    return undefined;
  };
  // An amount from a script or keybinding is held to what the input box holds a typed one to.
  const given = typeof amount === 'number' || typeof amount === 'string' ? String(amount) : undefined;
  const givenRefused = given === undefined ? undefined : refusal(given);
  if (givenRefused) {
    void vscode.window.showErrorMessage(`Budget of "${s.title}" not changed: ${givenRefused}`);
    return;
  }
  const value = given ?? await vscode.window.showInputBox({
    title: `Budget of "${s.title}" (USD)`,
    value: String(Math.max(s.budgetUsd ?? 0, Math.ceil((s.costUsd * 2 + 1) * 100) / 100)),
    prompt: s.status === 'over-budget' && s.statusCause === 'session-budget' && s.statusReason
      ? `Spent so far: $${s.costUsd.toFixed(4)}. ${s.statusReason}`
      : `Spent so far: $${s.costUsd.toFixed(4)}.`,
    validateInput: refusal,
  });
  if (!value) return;
  const raised = await guarded('raising the budget', () => ctx.host.request(SpendProtocol.raiseBudget, { sessionId: s.id, budgetUsd: dollarsIn(value) }).then(() => true));
  if (!raised || s.status !== 'over-budget') return;
  // Stopped by the machine's daily or monthly cap, its own budget raised does not let it go on.
  const cap = s.statusCause === 'day-budget' ? 'dayUsd' : s.statusCause === 'month-budget' ? 'monthUsd' : undefined;
  if (cap) {
    const choice = await vscode.window.showInformationMessage(
      `Budget of "${s.title}" is now $${dollarsIn(value)}. It was stopped by the ${cap === 'dayUsd' ? 'daily' : 'monthly'} cap, which must be raised before it can resume.`,
      'Set Caps…',
    );
    if (choice) await vscode.commands.executeCommand('switchyard.setBudgets', `budget.${cap}`);
    return;
  }
  const choice = await vscode.window.showInformationMessage(`Budget of "${s.title}" is now $${dollarsIn(value)}.`, 'Resume');
  if (choice === 'Resume') await resumeSession(ctx, s.id);
}

export async function saveTrace(ctx: CommandContext, arg?: unknown, target?: unknown) {
  const s = await resolveSession(ctx, arg, undefined, 'save the trace of');
  if (!s) return;
  const uri = target instanceof vscode.Uri ? target : await vscode.window.showSaveDialog({
    title: 'Save session trace',
    defaultUri: saveTarget(`${s.branch.replace(/\//g, '-')}.trace.jsonl`),
    filters: { 'Trace (JSON Lines)': ['jsonl'] },
  });
  if (!uri) return;
  const r = await guarded('saving the trace', () => ctx.host.request(SessionsProtocol.saveTrace, { sessionId: s.id, file: uri.fsPath }));
  if (r && !(target instanceof vscode.Uri)) void vscode.window.showInformationMessage(`Saved ${r.turns} turns. Replay with: switchyard replay ${uri.fsPath}`);
  return r;
}

export async function openTranscript(ctx: CommandContext, arg?: unknown, preview?: unknown) {
  const s = await resolveSession(ctx, arg, undefined, 'open');
  if (!s) return undefined;
  ctx.setActiveSession(s.id);
  return ctx.transcripts.open(s.id, preview === true);
}

/** A click on a session's row: the row it selected, which outlives a redraw, where an argument would not. It
 * opens a preview, as a click in the Explorer does. */
export async function openClickedSession(ctx: CommandContext) {
  const s = await ctx.tree.clicked();
  return s ? openTranscript(ctx, s.id, true) : sayRowWasRedrawn();
}

export function keepTranscriptOpen(ctx: CommandContext) {
  ctx.transcripts.keepActive();
}

export async function filterSessions(ctx: CommandContext, text?: unknown) {
  const value = typeof text === 'string' ? text : await vscode.window.showInputBox({
    title: 'Filter sessions',
    value: ctx.tree.filterText,
    prompt: 'Matches title, status (over budget), tier, role, model, branch or group (needs attention). Empty shows all.',
  });
  if (value !== undefined) await ctx.tree.setFilter(value);
}

export async function clearSessionsFilter(ctx: CommandContext) {
  await ctx.tree.setFilter('');
}

export async function refresh(ctx: CommandContext) {
  // The folder may have become a repository since (git init), or stopped being one.
  await guarded('refreshing', () => ctx.showRepo());
}
