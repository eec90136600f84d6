// Spend: show the dashboard, set the caps, export CSV.
import * as vscode from 'vscode';
import { SpendProtocol, type ReportGroup } from '../../protocol/spend';
import type { CommandContext } from './context';
import { MIN_SESSION_BUDGET_USD, readSettings, updateInForce } from '../settings';
import { dollarsIn, isDollars } from './dollars';
import { guarded, saveTarget } from './pick';
import { plural, usd } from '../views/numbers';
import { localDay } from '../../host/ledger/localDate';

export async function showSpend() {
  await vscode.commands.executeCommand('switchyard.spend.focus');
}

export async function setBudgets(ctx: CommandContext, scopeArg?: unknown, valueArg?: unknown) {
  // What is in force, not what a setting says: a malformed one is not used (settings.ts says what is instead).
  const { settings, problems } = readSettings();
  const inForce: Record<string, number | null> = { 'budget.dayUsd': settings.budgets.dayUsd, 'budget.monthUsd': settings.budgets.monthUsd, 'budget.sessionUsd': settings.budgets.sessionUsd };
  const malformed = (key: string) => problems.some(p => p.key === `switchyard.${key}`);
  const scopes = [
    { key: 'budget.dayUsd', label: 'Daily cap', detail: 'All sessions on this machine, per day.' },
    { key: 'budget.monthUsd', label: 'Monthly cap', detail: 'All sessions on this machine, per month.' },
    { key: 'budget.sessionUsd', label: 'Default session budget', detail: 'For new sessions (each can have its own).' },
  ].map(s => ({ ...s, description: `${describe(inForce[s.key])}${malformed(s.key) ? ' $(warning) in force: the setting is not a valid one' : ''}` }));
  const scope = typeof scopeArg === 'string' ? scopes.find(s => s.key === scopeArg) : await vscode.window.showQuickPick(scopes, { title: 'Switchyard budgets' });
  if (!scope) return;
  // A machine cap of 0 stops all work, on purpose; a session budget of 0 would let no session do anything.
  const perSession = scope.key === 'budget.sessionUsd';
  // Spend is counted in millionths of a dollar: a session budget below one would be $0.
  const valid = (v: string) => (perSession ? isDollars(v, MIN_SESSION_BUDGET_USD) : isDollars(v, 0));
  const rule = perSession ? 'A number of dollars, at least 0.000001 (a millionth of a dollar)' : 'A number of dollars (0 or more)';
  const value = typeof valueArg === 'number' || valueArg === null ? (valueArg === null ? '' : String(valueArg)) : await vscode.window.showInputBox({
    title: `${scope.label} (USD)`,
    value: String(inForce[scope.key] ?? ''),
    prompt: 'Empty: no cap. Spend never passes a cap: requests that could are refused first.',
    validateInput: v => (v.trim() === '' || valid(v) ? undefined : `${rule}, or empty.`),
  });
  if (value === undefined) return;
  if (value.trim() !== '' && !valid(value)) {
    void vscode.window.showErrorMessage(`Switchyard: ${scope.label}: ${rule.toLowerCase()}, or empty for no cap; "${value}" is not.`);
    return;
  }
  const cap = value.trim() === '' ? null : dollarsIn(value);
  await updateInForce(scope.key, cap);
  if (cap !== null && !perSession) await sayIfSpentAlready(ctx, scope.key === 'budget.dayUsd' ? 'day' : 'month', cap);
}

/** A machine cap set below what is already spent stops every request at once: said, not left to be found. */
async function sayIfSpentAlready(ctx: CommandContext, scope: 'day' | 'month', cap: number): Promise<void> {
  const summary = await ctx.host.request(SpendProtocol.summary, undefined).catch(() => undefined);
  const spent = scope === 'day' ? summary?.today.costUsd : summary?.thisMonth.costUsd;
  if (spent === undefined || spent < cap) return;
  const [period, until] = scope === 'day' ? ['today', 'tomorrow'] : ['this month', 'next month'];
  void vscode.window.showWarningMessage(`Switchyard: ${period}'s spend, ${usd(spent)}, is already at or above the new ${scope === 'day' ? 'daily' : 'monthly'} cap of $${cap}: no request is sent until ${until}, or until the cap is raised.`);
}

function describe(v: number | null | undefined): string {
  return v === null || v === undefined ? 'none' : `$${v}`;
}

/** What Export Spend as CSV… offers: a report of this month by what the Spend view shows, or of every session ever. */
const EXPORTS: readonly { label: string; detail: string; by: ReportGroup; month: boolean }[] = [
  { label: 'Sessions, this month', detail: 'One row per session: its requests, tokens, cost and priority premium this month', by: 'session', month: true },
  { label: 'Days, this month', detail: 'One row per day with spend this month', by: 'day', month: true },
  { label: 'Models, this month', detail: 'One row per model', by: 'model', month: true },
  { label: 'Tiers, this month', detail: 'One row per tier served (priority, standard, flex)', by: 'tier', month: true },
  { label: 'Sessions, all time', detail: 'One row per session, everything the ledger holds', by: 'session', month: false },
];

/**
 * `target` and `what` (a caller's, such as a test's) skip the questions: without `what`, every session of all
 * time, as before there was a choice.
 */
export async function exportSpend(ctx: CommandContext, target?: unknown, what?: unknown) {
  const given = typeof what === 'object' && what !== null ? EXPORTS.find(e => e.by === (what as { by?: unknown }).by && e.month === ((what as { month?: unknown }).month === true)) : undefined;
  if (what !== undefined && !given) throw new Error(`Switchyard: no export of ${JSON.stringify(what)}; one of ${EXPORTS.map(e => JSON.stringify({ by: e.by, month: e.month })).join(', ')}.`);
  const choice = target instanceof vscode.Uri ? given ?? EXPORTS.at(-1)! : given ?? await vscode.window.showQuickPick(EXPORTS, { title: 'Export spend as CSV: what to export' });
  if (!choice) return undefined;
  // Named by the day as the user lives it, as the Spend view's days are.
  const today = localDay(new Date());
  const month = today.slice(0, 7);
  const uri = target instanceof vscode.Uri ? target : await vscode.window.showSaveDialog({
    title: `Export spend as CSV: ${choice.label.toLowerCase()}`,
    defaultUri: saveTarget(`switchyard-spend-${choice.by}s-${choice.month ? month : `all-time-${today}`}.csv`),
    filters: { CSV: ['csv'] },
  });
  if (!uri) return undefined;
  const params = { file: uri.fsPath, by: choice.by, ...(choice.month ? { since: `${month}-01` } : {}) };
  const r = await guarded('exporting spend', () => ctx.host.request(SpendProtocol.exportCsv, params));
  if (r && !(target instanceof vscode.Uri)) {
    const open = await vscode.window.showInformationMessage(`Exported ${plural(r.rows, 'row')} (${choice.label.toLowerCase()}) to ${uri.fsPath}.`, 'Open');
    if (open) await vscode.window.showTextDocument(uri);
  }
  return r;
}
