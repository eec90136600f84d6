import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { homeLayout, switchyardHome } from '../../src/host/home';
import { encodeLine } from '../../src/host/ledger/lineCodec';
import { SessionStore } from '../../src/host/sessions/sessionStore';
import { readSettings } from '../../src/extension/settings';
import type { SessionInfo } from '../../src/protocol/types';
import { makeRecord } from '../unit/helpers/records';
import { api, sessionWhere, settled, until } from './kit';

suite('spend, tier and budgets in a real VS Code', () => {
  test('the meter shows spend once a session has run', async () => {
    const a = await api();
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] meter', title: 'Meter' });
    await sessionWhere(a, s.id, settled, 'the session to finish');
    await until(() => /\$\(pulse\) \$0\.\d+ · \d+% cached/.test(a.meterText()) && !/\$0\.00 /.test(a.meterText()), `the meter to show spend (now "${a.meterText()}")`, a.onDidChangeSessions);
  });

  test('the tier of a session is set from the command and shown in the status bar', async () => {
    const a = await api();
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-slow] tiered', title: 'Tiered', tier: 'standard' });
    await vscode.commands.executeCommand('switchyard.setTier', s.id, 'priority');
    await sessionWhere(a, s.id, x => x.tier === 'priority', 'the tier to change');
    await until(() => a.tierText().includes('priority'), 'the status bar tier item');
    await vscode.commands.executeCommand('switchyard.toggleTier');
    await sessionWhere(a, s.id, x => x.tier === 'standard', 'the toggle to move to standard');
    await vscode.commands.executeCommand('switchyard.stopSession', s.id);
  });

  test('the tier item acts on the session the user came to last: a row left selected does not take the click meant for the transcript in front', async () => {
    const a = await api();
    const rowA = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-slow] row a', title: 'Row A', tier: 'standard' });
    const tabB = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-slow] tab b', title: 'Tab B', tier: 'standard' });
    try {
      await a.revealSession(rowA.id);
      await until(() => a.selectedSession()?.id === rowA.id, 'row A to be selected');
      await vscode.commands.executeCommand('switchyard.openTranscript', tabB.id);
      await new Promise(r => setTimeout(r, 300));
      await vscode.commands.executeCommand('switchyard.toggleTier');
      await sessionWhere(a, tabB.id, x => x.tier === 'priority', "the transcript's session to move to priority");
      assert.strictEqual(a.sessions().find(x => x.id === rowA.id)?.tier, 'standard', 'the row left selected is not changed');
      // Back to the row: the item acts on it again.
      await a.revealSession(tabB.id);
      await until(() => a.selectedSession()?.id === tabB.id, 'row B to be selected');
      await a.revealSession(rowA.id);
      await until(() => a.selectedSession()?.id === rowA.id, 'row A to be selected again');
      await new Promise(r => setTimeout(r, 300));
      await vscode.commands.executeCommand('switchyard.toggleTier');
      await sessionWhere(a, rowA.id, x => x.tier === 'priority', 'the row, come back to, to move to priority');
      // Between transcript tabs, switched as a click on a tab does: the one brought to the front is acted on.
      await vscode.commands.executeCommand('switchyard.openTranscript', rowA.id);
      await vscode.commands.executeCommand('switchyard.openTranscript', tabB.id);
      await until(() => vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'Agent: Tab B', "B's tab in front");
      await vscode.commands.executeCommand('workbench.action.openPreviousRecentlyUsedEditorInGroup');
      await until(() => vscode.window.tabGroups.activeTabGroup.activeTab?.label === 'Agent: Row A', "A's tab in front again");
      await new Promise(r => setTimeout(r, 300));
      await vscode.commands.executeCommand('switchyard.toggleTier');
      await sessionWhere(a, rowA.id, x => x.tier === 'standard', "the session of the tab brought to the front to go back to standard");
      assert.strictEqual(a.sessions().find(x => x.id === tabB.id)?.tier, 'priority', 'the tab left is not changed');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      for (const s of [rowA, tabB]) await vscode.commands.executeCommand('switchyard.stopSession', s.id);
    }
  });

  test('a finished session is not offered a tier; the toggle with no session to run says it changed the default', async () => {
    const a = await api();
    const config = () => vscode.workspace.getConfiguration('switchyard');
    const before = config().inspect('defaultTier')?.globalValue;
    // What the commands say, read from the window API they share with this suite.
    const said: string[] = [];
    const window = vscode.window as { showInformationMessage: (message: string) => Thenable<undefined> };
    const show = window.showInformationMessage;
    window.showInformationMessage = (message: string) => {
      said.push(message);
      return Promise.resolve(undefined);
    };
    try {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] finished tier', title: 'Finished tier', tier: 'standard' });
      await sessionWhere(a, s.id, x => x.status === 'done', 'the session to finish');
      await a.revealSession(s.id);
      await vscode.commands.executeCommand('switchyard.setTier', s.id, 'priority');
      assert.strictEqual(a.sessions().find(x => x.id === s.id)?.tier, 'standard');
      assert.ok(said.some(m => m.includes('cannot set the tier of "Finished tier": it is done')), said.join(' | '));
      const tier = config().get<string>('defaultTier');
      const toggled = tier === 'priority' ? 'standard' : 'priority';
      await vscode.commands.executeCommand('switchyard.toggleTier');
      assert.strictEqual(config().get('defaultTier'), toggled);
      assert.ok(said.some(m => m.includes(`New sessions will now start at ${toggled}`) && m.includes('switchyard.defaultTier')), said.join(' | '));
    } finally {
      window.showInformationMessage = show;
      await config().update('defaultTier', before, vscode.ConfigurationTarget.Global);
    }
  });

  test('a session over its budget pauses before spending past it', async () => {
    const a = await api();
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] tiny budget', title: 'Tiny budget', budgetUsd: 0.02 });
    const paused = await sessionWhere(a, s.id, x => x.status === 'over-budget' || settled(x), 'the session to stop on its budget');
    assert.strictEqual(paused.status, 'over-budget', paused.statusReason);
    assert.ok(paused.costUsd <= 0.02, `spent ${paused.costUsd}`);
    // An amount given with the command is held to what a typed one is: more than it spent, and than the budget used up.
    for (const amount of [paused.costUsd, 0.02]) {
      await vscode.commands.executeCommand('switchyard.raiseSessionBudget', s.id, amount);
      assert.strictEqual(a.sessions().find(x => x.id === s.id)?.budgetUsd, 0.02, `a budget of $${amount} was refused`);
    }
  });

  test('a cap typed as "Infinity" is refused, not saved as no cap', async () => {
    await api();
    const config = () => vscode.workspace.getConfiguration('switchyard');
    const before = config().inspect('budget.dayUsd')?.globalValue;
    await vscode.commands.executeCommand('switchyard.setBudgets', 'budget.dayUsd', Number.POSITIVE_INFINITY);
    assert.strictEqual(config().inspect('budget.dayUsd')?.globalValue, before);
    await vscode.commands.executeCommand('switchyard.setBudgets', 'budget.dayUsd', 12.5);
    assert.strictEqual(config().get('budget.dayUsd'), 12.5);
    await config().update('budget.dayUsd', before, vscode.ConfigurationTarget.Global);
  });

  test('a base URL that is not a URL starts no session, and nothing goes to OpenAI in its place', async () => {
    const a = await api();
    const config = vscode.workspace.getConfiguration('switchyard');
    const before = config.inspect('baseUrl')?.globalValue;
    await config.update('baseUrl', 'localhost:11434', vscode.ConfigurationTarget.Global);
    try {
      // Refused before a worktree and branch are made for it (the reason is shown as an error message).
      const s = await vscode.commands.executeCommand<SessionInfo | undefined>('switchyard.newSession', { task: '[script:int-alpha] typo', title: 'Typo' });
      assert.strictEqual(s, undefined, 'no session was created');
      assert.ok(!a.sessions().some(x => x.title === 'Typo'));
    } finally {
      await config.update('baseUrl', before, vscode.ConfigurationTarget.Global);
    }
  });

  test('a setting out of its range falls back alone, by name; a workspace cannot move the machine-wide caps', async () => {
    const config = vscode.workspace.getConfiguration('switchyard');
    const set = { 'loopGuard.repeatedCall': 1, 'loopGuard.textLoop': 5, 'maxTurns': 5000 };
    try {
      for (const [key, value] of Object.entries(set)) await config.update(key, value, vscode.ConfigurationTarget.Global);
      const { settings, problems } = readSettings();
      assert.strictEqual(settings.guard.repeatedCall, 3, 'below the guard minimum of 2: the default');
      assert.strictEqual(settings.guard.textLoop, 5, 'the other thresholds are kept');
      assert.strictEqual(settings.maxTurns, 60);
      assert.deepStrictEqual(problems.map(p => p.key).sort(), ['switchyard.loopGuard.repeatedCall', 'switchyard.maxTurns']);
      assert.match(problems.find(p => p.key.endsWith('repeatedCall'))!.message, /^should be a whole number from 2 up; using 3$/);
    } finally {
      for (const key of Object.keys(set)) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    }
    // Machine-wide: only the user's settings hold them, never a folder's (VS Code marks such a value in a workspace's settings.json).
    for (const key of ['budget.dayUsd', 'budget.monthUsd', 'maxConcurrentSessions']) {
      await assert.rejects(Promise.resolve(config.update(key, 1, vscode.ConfigurationTarget.Workspace)), `${key} set in a workspace`);
    }
  });

  test('a price override with a typo leaves out its own model, not every model', async () => {
    const config = () => vscode.workspace.getConfiguration('switchyard');
    const good = { input: 1, cachedInput: 0.1, output: 4 };
    await config().update('prices', { 'my-model': { standard: good }, 'gpt-5.4': { standard: { input: 3, output: 20 } } }, vscode.ConfigurationTarget.Global);
    try {
      const { settings, problems } = readSettings();
      assert.deepStrictEqual(settings.prices, { 'my-model': { standard: good } });
      assert.deepStrictEqual(problems.map(p => p.message), ["is not valid for gpt-5.4 (switchyard.prices.gpt-5.4.standard has no cachedInput; its override is left out): the other models' overrides hold"]);
      // A workspace's typo over the user's own good price: the user's stands.
      await config().update('prices', { 'gpt-5.4': { standard: { input: 3, cachedInput: 0.3, output: 20 } } }, vscode.ConfigurationTarget.Global);
      await config().update('prices', { 'gpt-5.4': { standard: { input: 'three' } } }, vscode.ConfigurationTarget.Workspace);
      const layered = readSettings();
      assert.deepStrictEqual(layered.settings.prices, { 'gpt-5.4': { standard: { input: 3, cachedInput: 0.3, output: 20 } } });
      assert.match(layered.problems.find(p => p.key === 'switchyard.prices')?.message ?? '', /using its override in your user settings\): the other models' overrides hold$/);
      await config().update('prices', undefined, vscode.ConfigurationTarget.Workspace);
      // Not an object of models at all: nothing of it holds.
      await config().update('prices', ['my-model'], vscode.ConfigurationTarget.Global);
      assert.deepStrictEqual(readSettings().settings.prices, {});
    } finally {
      await config().update('prices', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('prices', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test("a workspace's malformed budget falls back to the user's own, not to the default", async () => {
    const config = () => vscode.workspace.getConfiguration('switchyard');
    await config().update('budget.sessionUsd', 1, vscode.ConfigurationTarget.Global);
    await config().update('budget.sessionUsd', 'half', vscode.ConfigurationTarget.Workspace);
    try {
      const { settings, problems } = readSettings();
      assert.strictEqual(settings.budgets.sessionUsd, 1, 'the default ($5) would lift the cap in force');
      assert.match(problems.find(p => p.key === 'switchyard.budget.sessionUsd')?.message ?? '', /; using 1, from your user settings$/);
    } finally {
      await config().update('budget.sessionUsd', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('budget.sessionUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a session budget of $0, or below the least one counted, is that least one, never the larger default', async () => {
    const config = () => vscode.workspace.getConfiguration('switchyard');
    try {
      for (const [value, why] of [[1e-7, /^is below \$0\.000001, the least budget counted .*; using 0\.000001$/], [0, /^is \$0, below the least budget counted; using 0\.000001, so sessions stop before their first request/]] as const) {
        await config().update('budget.sessionUsd', value, vscode.ConfigurationTarget.Global);
        const { settings, problems } = readSettings();
        assert.strictEqual(settings.budgets.sessionUsd, 0.000001, `${value}`);
        assert.match(problems.find(p => p.key === 'switchyard.budget.sessionUsd')?.message ?? '', why);
      }
    } finally {
      await config().update('budget.sessionUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a typo in a cap with no good value beneath keeps the cap in force, never the larger default', async () => {
    const config = () => vscode.workspace.getConfiguration('switchyard');
    const machine = path.join(switchyardHome(), 'config.json');
    const dayCap = () => (JSON.parse(fs.readFileSync(machine, 'utf8')) as { budgets: { dayUsd: unknown } }).budgets.dayUsd;
    await config().update('budget.dayUsd', 5, vscode.ConfigurationTarget.Global);
    try {
      // The host writes what is in force for every window and CLI run.
      await until(() => fs.existsSync(machine) && dayCap() === 5, 'the host to write the $5 day cap to config.json');
      await config().update('budget.dayUsd', 'ten', vscode.ConfigurationTarget.Global);
      const { settings, problems } = readSettings();
      assert.strictEqual(settings.budgets.dayUsd, 5, 'the default ($50) would lift the cap ten times');
      assert.match(problems.find(p => p.key === 'switchyard.budget.dayUsd')?.message ?? '', /; using 5, the cap in force until now$/);
      await new Promise(r => setTimeout(r, 1500));
      assert.strictEqual(dayCap(), 5, 'config.json keeps it');
    } finally {
      await config().update('budget.dayUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a daily cap set below what was spent today is said to stop every request at once', async () => {
    const a = await api();
    // Something spent today: a session that ran.
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] spend a little', title: 'Spends' });
    await sessionWhere(a, s.id, settled, 'the session to finish');
    const window = vscode.window as unknown as { showWarningMessage: (message: string) => Thenable<undefined> };
    const warn = window.showWarningMessage;
    const said: string[] = [];
    window.showWarningMessage = (message: string) => {
      said.push(message);
      return Promise.resolve(undefined);
    };
    try {
      await vscode.commands.executeCommand('switchyard.setBudgets', 'budget.dayUsd', 0.000001);
      assert.match(said.join('\n'), /^Switchyard: today's spend, \$0\.\d{2,4}, is already at or above the new daily cap of \$0\.000001: no request is sent until tomorrow, or until the cap is raised\.$/m);
    } finally {
      window.showWarningMessage = warn;
      await vscode.workspace.getConfiguration('switchyard').update('budget.dayUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a budget is set where the value in force is: a workspace value overrides the user\'s', async () => {
    await api();
    const config = () => vscode.workspace.getConfiguration('switchyard');
    await config().update('budget.sessionUsd', 3, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('switchyard.setBudgets', 'budget.sessionUsd', 7);
      assert.strictEqual(config().get('budget.sessionUsd'), 7, `the workspace value was changed, not hidden under it: ${JSON.stringify(config().inspect('budget.sessionUsd'))}`);
      assert.strictEqual(config().inspect('budget.sessionUsd')?.globalValue, undefined);
      await vscode.commands.executeCommand('switchyard.setBudgets', 'budget.dayUsd', 40);
      assert.strictEqual(config().inspect('budget.dayUsd')?.globalValue, 40, 'a machine-wide cap is the user\'s');
    } finally {
      await config().update('budget.sessionUsd', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('budget.dayUsd', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Export Spend writes a CSV', async () => {
    await api();
    const file = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sy-export-')), 'spend.csv'));
    const r = await vscode.commands.executeCommand<{ rows: number }>('switchyard.exportSpend', file);
    assert.ok(r && r.rows > 0);
    assert.match(fs.readFileSync(file.fsPath, 'utf8'), /cost/i);
    // This month's days: one row for each day with spend, keyed by its date.
    const days = await vscode.commands.executeCommand<{ rows: number }>('switchyard.exportSpend', file, { by: 'day', month: true });
    assert.ok(days && days.rows > 0);
    const month = new Date().toLocaleDateString('en-CA').slice(0, 7);
    const keys = fs.readFileSync(file.fsPath, 'utf8').trim().split('\r\n').slice(1).map(l => l.split(',')[0]);
    assert.ok(keys.every(k => k!.startsWith(`${month}-`)), keys.join(' '));
  });

  // Last: it adds half a dollar of spend to the month.
  test("another repository's session in the shared ledger is listed in the Spend view by its title and folder", async () => {
    const a = await api();
    const layout = homeLayout(process.env.SWITCHYARD_HOME);
    // What a CLI run in another repository leaves in the home: its session record, and its spend in the ledger.
    const repo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sy-elsewhere-')), 'api-server');
    const id = `far${Date.now().toString(16)}`;
    const record = new SessionStore(layout).paths(repo, id).record;
    fs.mkdirSync(path.dirname(record), { recursive: true });
    fs.writeFileSync(record, JSON.stringify({ version: 1, id, title: 'Add rate limits', task: 'Add rate limits', repo, branch: `switchyard/${id}`, worktree: path.join(repo, 'wt'), status: 'done' }));
    fs.appendFileSync(path.join(layout.ledgerDir, 'usage.jsonl'), encodeLine(makeRecord(`${id}-r1`, { ts: new Date().toISOString(), sessionId: id, repo, costUsd: 0.5, standardCostUsd: 0.5 })));
    await vscode.commands.executeCommand('switchyard.spend.focus');
    const row = await until(() => a.spendShown()?.series.bySession.find(s => s.sessionId === id && s.title === 'Add rate limits'), 'the Spend view to name the session', a.onDidRenderSpend);
    assert.strictEqual(row.repoName, 'api-server');
  });
});
