// End-to-end tier: the packaged VSIX installed into a real VS Code (code-server), driven through its UI
// with playwright-core and Debian's Chromium, against the project's test upstream. Screenshots go to
// test-results/e2e/; the ones the README shows are copied to docs/.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { codeServerCli, launchBrowser, log, makeProfile, since, startCodeServer } from '../vscode/codeServer.mjs';
import { makeGitWorkspace, startUpstream } from '../vscode/fixtures.mjs';
import { RESULTS, ROOT } from '../vscode/paths.mjs';
import { Workbench } from './workbench.mjs';

const RUN = path.join(RESULTS, 'e2e');
const SHOTS = RUN;
const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const VSIX = process.env.VSIX || path.join(ROOT, `switchyard-${version}.vsix`);
const DOCS = path.join(ROOT, 'docs');
const only = process.env.E2E_ONLY;

/** The end of the extension's own log (the host's lines are in it), for a failure read from a CI log. */
function printLogTail(lines = 60) {
  const logs = [];
  const walk = dir => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Switchyard.log') logs.push(p);
    }
  };
  try {
    walk(path.join(RUN, 'vscode', 'user-data', 'logs'));
    const newest = logs.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs).at(-1);
    console.log(newest ? `the end of ${path.relative(RUN, newest)}:\n${readFileSync(newest, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}` : 'no Switchyard.log yet');
  } catch (err) {
    console.log(`the extension's log not read: ${err.message}`);
  }
}

let passed = 0;
let failed = 0;
async function step(name, fn) {
  if (only && !name.includes(only)) return;
  const t = Date.now();
  try {
    await fn();
    passed++;
    log(`ok   ${name} (${since(t)})`);
  } catch (e) {
    failed++;
    log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    console.log(`what the window showed:\n${await wb.describe().catch(err => `  (not read: ${err.message})`)}`);
    printLogTail();
    await wb.screenshot(`failure-${name.replace(/\W+/g, '-')}`).catch(() => {});
    throw e;
  }
}

if (!existsSync(VSIX)) {
  console.error(`No VSIX at ${VSIX}: run "npm run package" first.`);
  process.exit(1);
}
rmSync(RUN, { recursive: true, force: true });
mkdirSync(RUN, { recursive: true });
mkdirSync(DOCS, { recursive: true });

const upstream = await startUpstream(path.join(ROOT, 'test/fixtures/scripts/vscode.json'), ['--event-delay-ms', '25']);
const workspace = makeGitWorkspace(path.join(RUN, 'workspace', 'demo-app'));
// A role of the repository's own, with a budget the New Session dialog must take up when it is picked.
mkdirSync(path.join(workspace, '.switchyard', 'roles'), { recursive: true });
writeFileSync(path.join(workspace, '.switchyard', 'roles', 'careful.md'), '---\ndescription: Small, careful changes\nbudgetUsd: 0.75\n---\nMake small, careful changes.\n');
execFileSync('git', ['add', '-A'], { cwd: workspace });
execFileSync('git', ['commit', '-q', '-m', 'a careful role'], { cwd: workspace });
makeProfile(path.join(RUN, 'vscode'), {
  'switchyard.baseUrl': upstream.url,
  'switchyard.model': 'gpt-5.4',
  'switchyard.budget.dayUsd': 5,
  'switchyard.budget.monthUsd': 100,
  'switchyard.budget.sessionUsd': 1,
  'switchyard.codexPath': path.join(ROOT, 'node_modules/.bin/codex'),
  'workbench.colorTheme': 'Default Dark Modern',
});
const env = { SWITCHYARD_HOME: path.join(RUN, 'switchyard-home'), OPENAI_API_KEY: 'sk-e2e-test' };
log('installing', path.basename(VSIX));
await codeServerCli(path.join(RUN, 'vscode'), ['--install-extension', VSIX, '--force'], env);
const cs = await startCodeServer(path.join(RUN, 'vscode'), { folder: workspace, env });
const ctx = await launchBrowser(path.join(RUN, 'vscode'), { width: 1440, height: 900 });
const page = ctx.pages()[0] ?? (await ctx.newPage());
page.on('pageerror', e => console.error('pageerror:', e.message));
const wb = new Workbench(page, SHOTS);
let exitCode = 1;

try {
  await page.goto(`${cs.url}?folder=${encodeURIComponent(workspace)}`);
  await step('workbench loads', () => wb.ready());

  await step('the Switchyard sidebar opens with its empty state', async () => {
    await wb.openSwitchyard();
    await page.locator('.pane-body', { hasText: 'No agent sessions yet' }).waitFor({ timeout: 60000 });
    await page.locator('.pane-body .monaco-button', { hasText: 'New Session' }).first().waitFor();
    await page.locator('.pane-header', { hasText: 'Spend' }).waitFor();
    // The Spend view's own empty state, inside its webview, with its button.
    await wb.inWebview('.empty-state button');
    copyFileSync(await wb.screenshot('01-sidebar-empty'), path.join(DOCS, 'sidebar-empty.png'));
  });

  await step('the status bar shows the spend meter and the tier', async () => {
    await wb.statusItem('cached').waitFor({ timeout: 30000 });
    assert.match(await wb.statusItem('cached').innerText(), /\$0\.00 · 0% cached/);
    // No session yet: the tier item says it sets the tier of new ones.
    assert.match(await wb.statusItem('standard').innerText(), /new: standard/);
  });

  await step('two sessions are created from the command palette', async () => {
    for (const [title, task] of [['Write release notes', '[script:default] Write release notes for 1.2'], ['Tune the parser', '[script:e2e-long] Tune the parser']]) {
      await wb.newSession(task, title);
      await wb.sessionRow(title).waitFor({ timeout: 30000 });
    }
  });

  await step('the tier item switches a running session in one click', async () => {
    await wb.waitForRowText('Tune the parser', /\$0\.\d+/);
    await wb.screenshot('02-sidebar-running');
    await wb.sessionRow('Tune the parser').click();
    await page.locator('.tab', { hasText: 'Agent: Tune the parser' }).waitFor({ timeout: 30000 });
    await wb.statusItem('standard').click();
    await wb.statusItem('priority').waitFor({ timeout: 15000 });
    await wb.waitForRowText('Tune the parser', /priority/);
  });

  await step('the sessions finish, with cost and cache share on their rows', async () => {
    await wb.waitForRowText('Write release notes', /\$0\.\d+.*cached.*standard/);
    await wb.waitForRowText('Tune the parser', /\$0\.\d+.*cached.*priority/, 90000);
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Tune the parser' }).locator('.codicon-pass-filled').waitFor({ timeout: 90000 });
    assert.doesNotMatch(await wb.statusItem('cached').innerText(), /\$0\.00 /);
    copyFileSync(await wb.screenshot('03-sidebar-sessions'), path.join(DOCS, 'sidebar-sessions.png'));
  });

  await step('the transcript shows per-turn cache bars and marks the cache break of the tier change', async () => {
    await wb.inWebview('.session-header');
    const breakMark = await wb.inWebview('text=/cache break/i', 60000);
    assert.match(await breakMark.innerText(), /cache break/i);
    await breakMark.scrollIntoViewIfNeeded();
    copyFileSync(await wb.screenshot('04-transcript'), path.join(DOCS, 'transcript.png'));
  });

  await step('Show Changes opens the multi-file diff editor', async () => {
    await wb.sessionRow('Write release notes').click();
    // A row's click is a preview, as in the Explorer: it shows its session in the tab the last click opened.
    await page.locator('.tab', { hasText: 'Agent: Write release notes' }).waitFor({ timeout: 30000 });
    assert.equal(await page.locator('.tab', { hasText: 'Agent: Tune the parser' }).count(), 0, 'the click reused the preview tab');
    await wb.runCommand('Switchyard: Show Changes');
    await page.locator('.tab', { hasText: 'Write release notes (switchyard/' }).waitFor({ timeout: 30000 });
    await wb.screenshot('05-changes');
  });

  await step('a session merges back into main', async () => {
    await wb.runCommand('Switchyard: Merge Back…');
    await wb.pick('squash');
    await wb.notification('Merged "Write release notes" into main').waitFor({ timeout: 30000 });
    await wb.waitForRowText('Write release notes', /merged/);
    assert.ok(existsSync(path.join(workspace, 'notes')), 'the work landed in the checkout');
  });

  await step('a command waits for approval and runs once approved', async () => {
    // Picked in the dialog, the role's own budget is the session's (the settings' $1 is the default's).
    await wb.newSession('[script:ask-run] Check the project listing', 'Check with approval', [['Role', 'careful'], ['Commands', 'ask']], /careful · .* · \$0\.75 cap/);
    // The agent asks, and waits: first what the session says, then what the user is shown.
    await wb.waitForRowText('Check with approval', /waiting/);
    // The notification shows the command itself: nothing is approved unseen.
    const ask = await wb.shownNotification('wants to run: echo checking && ls');
    if (ask.where !== 'toast') log(`     (VS Code drew no toast for the question; it is in ${ask.where})`);
    // Closed without an answer, the question stays open, answerable from the row.
    await ask.item.hover();
    await ask.item.locator('.codicon-notifications-clear').first().click();
    await ask.item.waitFor({ state: 'hidden' });
    await ask.close();
    await wb.waitForRowText('Check with approval', /waiting/);
    const row = wb.sessionRow('Check with approval');
    // Discard asks before it stops a running agent; Cancel leaves it as it was.
    await row.click();
    await wb.runCommand('Switchyard: Discard Session…');
    const stopFirst = page.locator('.monaco-dialog-box', { hasText: 'Stop it and discard it?' });
    await stopFirst.waitFor({ timeout: 10000 });
    await stopFirst.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await stopFirst.waitFor({ state: 'hidden' });
    await wb.waitForRowText('Check with approval', /waiting/);
    await row.hover();
    await row.locator('.action-label[aria-label^="Review Command"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10000 });
    assert.match(await dialog.innerText(), /echo checking && ls/);
    await wb.screenshot('05b-approval');
    await dialog.locator('.monaco-button', { hasText: 'Approve' }).first().click();
    await wb.waitForRowText('Check with approval', /\$0\.\d+.*cached/, 60000);
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Check with approval' }).locator('.codicon-pass-filled').waitFor({ timeout: 30000 });
    // Its transcript, a preview since its row's click, is kept open from the editor's title.
    await page.locator('.tab.active', { hasText: 'Agent: Check with approval' }).click();
    await page.locator('.editor-actions .action-label[aria-label="Keep Transcript Open"]').waitFor();
    await wb.screenshot('05c-preview');
    await page.locator('.editor-actions .action-label[aria-label="Keep Transcript Open"]').click();
    await page.locator('.editor-actions .action-label[aria-label="Keep Transcript Open"]').waitFor({ state: 'detached' });
  });

  await step('a Codex session runs through the gateway and shows like any other', async () => {
    await wb.newSession('[script:codex-hello] Say hello in a file', 'Hello from Codex', [['Agent', 'codex']]);
    await wb.waitForRowText('Hello from Codex', /\$0\.\d+/, 90000);
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Hello from Codex' }).locator('.codicon-pass-filled').waitFor({ timeout: 90000 });
    // Its details and its transcript, as for any session.
    // The click opens the transcript, which takes the focus: the row is expanded by its twistie, not the keyboard.
    await wb.sessionRow('Hello from Codex').click();
    await wb.sessionRow('Hello from Codex').locator('.monaco-tl-twistie').click();
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Commands:' }).first().waitFor();
    await page.locator('.tab', { hasText: 'Agent: Hello from Codex' }).waitFor({ timeout: 30000 });
    await wb.inWebview('text=/exec_command|shell/');
    copyFileSync(await wb.screenshot('06-codex'), path.join(DOCS, 'codex-session.png'));
    // Behind it, the approval session's kept tab holds no webview (each live one costs the window memory);
    // shown again, it reads its transcript afresh.
    const showing = async text => (await Promise.all(page.frames().map(f => f.locator(`text=${text}`).count().catch(() => 0)))).reduce((a, b) => a + b, 0);
    for (const deadline = Date.now() + 15000; await showing('/Check the project listing/');) {
      assert.ok(Date.now() < deadline, 'a hidden transcript tab still holds its webview');
      await page.waitForTimeout(200);
    }
    await page.locator('.tab', { hasText: 'Agent: Check with approval' }).click();
    await wb.inWebview('text=/Check the project listing/');
  });

  /**
   * A slow session (surely still running when its host ends), the host ended by `end`, then the notification
   * `said`: the session shows paused, and Resume It runs it to its end.
   */
  const pausedByHostEnd = async (title, end, said) => {
    await upstream.configure({ faults: [{ match: { script: 'e2e-long' }, eventDelayMs: 100 }] });
    await wb.newSession(`[script:e2e-long] ${title}`, title);
    // Running, with a response metered: a cost above $0.0000.
    await wb.waitForRowText(title, /\$(?!0\.0+\b)\d+\.\d+/, 60000);
    await end();
    await upstream.configure({ faults: [] });
    const toast = wb.notification(said);
    await toast.waitFor({ timeout: 60000 });
    await wb.waitForRowText(title, /paused/);
    await toast.locator('.monaco-button', { hasText: 'Resume It' }).first().click();
    await page.locator('.pane-body .monaco-list-row', { hasText: title }).locator('.codicon-pass-filled').waitFor({ timeout: 90000 });
  };

  await step('Restart Agent Host pauses the running session, says so and resumes it on request', () =>
    pausedByHostEnd('Split the lexer', () => wb.runCommand('Switchyard: Restart Agent Host'), 'the restart paused 1 running session'));

  await step('a crash of the agent host is said, with the sessions it paused and the way back', () =>
    pausedByHostEnd('Inline the cache', () => {
      // This window's agent host (the extension installed in this profile), killed as a crash would end it.
      const pids = processesRunning(path.join(RUN, 'vscode') + path.sep, '/dist/host.js');
      assert.equal(pids.length, 1, `one agent host: ${pids.join(', ')}`);
      process.kill(pids[0], 'SIGKILL');
    }, 'the agent host stopped unexpectedly and was restarted; it paused 1 running session'));

  await step('a session running when the window reloads is offered for resuming when it opens again', async () => {
    await upstream.configure({ faults: [{ match: { script: 'e2e-long' }, eventDelayMs: 100 }] });
    await wb.newSession('[script:e2e-long] Carry on after a reload', 'Carry on');
    await wb.waitForRowText('Carry on', /\$(?!0\.0+\b)\d+\.\d+/, 60000);
    await page.reload();
    await wb.ready();
    await upstream.configure({ faults: [] });
    const toast = wb.notification('1 session was paused when the window or run running it closed');
    await toast.waitFor({ timeout: 60000 });
    await toast.locator('.monaco-button', { hasText: 'Resume It' }).first().click();
    await page.locator('.pane-body .monaco-list-row', { hasText: 'Carry on' }).locator('.codicon-pass-filled').waitFor({ timeout: 90000 });
  });

  await step('a start refused for its budget keeps what was typed, for Edit and Retry, and a task left unstarted comes back', async () => {
    await wb.runCommand('Switchyard: New Session…');
    await wb.answerInput('[script:default] Keep what I typed');
    await wb.pick('Budget');
    await wb.answerInput('$0.00001');
    await wb.pick('Start session', /\$0\.00001 cap/);
    const toast = wb.notification('cannot pay for the first request');
    await toast.waitFor({ timeout: 30000 });
    await toast.locator('.monaco-button', { hasText: 'Edit and Retry' }).first().click();
    const input = page.locator('.quick-input-widget input[type="text"]');
    await page.waitForFunction(() => document.querySelector('.quick-input-widget input[type="text"]')?.value === '[script:default] Keep what I typed', undefined, { timeout: 10000 });
    await page.keyboard.press('Enter');
    // The second step shows the budget as it was typed, to change before starting again.
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: '$0.00001 cap' }).first().waitFor();
    await input.press('Escape');
    await wb.closeQuickInput();
    // Left unstarted, the task comes back at the next New Session, to start or clear.
    await wb.runCommand('Switchyard: New Session…');
    await page.waitForFunction(() => document.querySelector('.quick-input-widget input[type="text"]')?.value === '[script:default] Keep what I typed', undefined, { timeout: 10000 });
    await page.locator('.quick-input-widget', { hasText: 'The task you typed last time and did not start' }).waitFor();
    await wb.closeQuickInput();
  });

  await step('a budget above what the day cap has left, and a model typed without a price, are said before it starts; the model is picked from the priced ones', async () => {
    await wb.runCommand('Switchyard: New Session…');
    await wb.answerInput('[script:default] Try another model');
    // A session budget above what the $5 day cap has left is said before Start: the day cap would stop it first.
    await wb.pick('Budget');
    await wb.answerInput('$50');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /\$50\.00 .*more than the \$[\d.]+ left under today's cap: it stops there/ }).first().waitFor();
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /only \$[\d.]+ left today · builtin agent · .*\$50\.00 cap/ }).first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, '06d-budget-above-day-cap.png') });
    await wb.pick('Model');
    // Each priced model with its price; the default one marked.
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /gpt-5\.4.*current.*standard \$2\.50 in · \$0\.25 cached · \$15 out; also priority, flex/ }).first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, '06b-models.png') });
    await wb.pick('Another model');
    await page.locator('.quick-input-widget input[type="text"]').fill('gpt-5.4-mnii');
    await page.locator('.quick-input-widget .quick-input-message', { hasText: 'gpt-5.4-mnii has no price here' }).waitFor({ timeout: 10000 });
    // The workbench's own screenshot waits for the quick input to close.
    await page.screenshot({ path: path.join(SHOTS, '06c-unpriced-model.png') });
    await page.keyboard.press('Enter');
    // Taken (a warning, not a refusal), and shown in the summary before Start.
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /gpt-5\.4-mnii \(no price\)/ }).first().waitFor();
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: /gpt-5\.4-mnii.*no dollar budget can limit it/ }).first().waitFor();
    // No cap holds a model without a price: none is said to stop it.
    const budgetRow = page.locator('.quick-input-widget .monaco-list-row', { hasText: /Budget\s*\$50/ }).first();
    await budgetRow.waitFor();
    assert.doesNotMatch(await budgetRow.innerText(), /left under/);
    await wb.closeQuickInput();
  });

  await step('a looping agent is stopped as stuck, with the reason and the actions', async () => {
    await wb.newSession('[script:loop] Make the math test pass', 'Fix the math test');
    await wb.waitForRowText('Fix the math test', /stuck/, 90000);
    const toast = wb.notification('"Fix the math test": Stuck, paused for you');
    await toast.waitFor({ timeout: 30000 });
    for (const action of ['Resume', 'Stop', 'Open Transcript']) await toast.locator('.monaco-button', { hasText: action }).first().waitFor();
    // Its transcript beside the notification: the guard's warning, then the pause, each with its reason.
    await wb.sessionRow('Fix the math test').click();
    await wb.inWebview('.session-header >> text=Fix the math test');
    await toast.waitFor();
    copyFileSync(await wb.screenshot('07-stuck'), path.join(DOCS, 'stuck.png'));
  });

  await step('the Spend view shows the month', async () => {
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.runCommand('Switchyard: Show Spend');
    await wb.inWebview('text=/priority premium/i');
    // Give the dashboard room, as a user would: collapse the Sessions pane and widen the side bar.
    await page.locator('.pane-header', { hasText: 'Sessions' }).click();
    const side = await page.locator('.part.sidebar').boundingBox();
    if (side) {
      const y = side.y + side.height / 2;
      await page.mouse.move(side.x + side.width + 1, y);
      await page.mouse.down();
      await page.mouse.move(side.x + 560, y, { steps: 10 });
      await page.mouse.up();
      await page.mouse.move(1000, 600);
    }
    const premium = await wb.inWebview('text=/priority premium/i');
    await premium.evaluate(el => {
      for (let n = el; n; n = n.parentElement) n.scrollTop = 0;
      el.ownerDocument.defaultView?.scrollTo(0, 0);
    });
    copyFileSync(await wb.screenshot('08-spend'), path.join(DOCS, 'spend.png'));
  });

  await step('a hundred sessions stay usable: grouped, with a filter', async () => {
    const seeder = spawn(process.execPath, [path.join(ROOT, 'out/test/e2e/seedFleet.js'), env.SWITCHYARD_HOME, workspace, upstream.url], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        seeder.stdout.on('data', d => /seeded/.test(String(d)) && resolve());
        seeder.on('exit', code => reject(new Error(`the seeding process exited (${code})`)));
      });
      await page.locator('.pane-header', { hasText: 'Sessions' }).click();
      await page.locator('.pane-body .monaco-list-row', { hasText: 'Needs attention' }).first().waitFor({ timeout: 30000 });
      await page.locator('.pane-body .monaco-list-row', { hasText: 'Running' }).first().waitFor({ timeout: 30000 });
      await page.locator('.pane-header', { hasText: /\d+\/1\d\d running/ }).first().waitFor({ timeout: 30000 });
      copyFileSync(await wb.screenshot('09-fleet'), path.join(DOCS, 'sidebar-fleet.png'));
      // A click on a row opens its transcript while the fleet keeps redrawing the tree. The rows clicked
      // have settled at the top (stuck), so the rows above them stay put and every click lands on its row.
      for (let i = 1; i <= 5; i++) await wb.waitForRowText(`Fix flaky test ${i}`, /stuck/, 120000);
      for (let round = 0; round < 3; round++) {
        for (let i = 1; i <= 5; i++) {
          await wb.sessionRow(`Fix flaky test ${i}`).click();
          // The active tab: each click shows its session in the one preview tab.
          await page.locator('.tab.active', { hasText: `Agent: Fix flaky test ${i}` }).waitFor({ timeout: 10000 });
        }
      }
      assert.equal(await page.locator('.tab', { hasText: 'Agent: Fix flaky test' }).count(), 1, 'fifteen clicks, one preview tab');
      const failed = page.locator('.notifications-toasts .notification-toast', { hasText: /command not found|redrawn as you clicked/ });
      assert.equal(await failed.count(), 0, 'no click failed or was lost');
      await wb.runCommand('Switchyard: Filter Sessions…');
      await wb.answerInput('stuck');
      await page.locator('.pane-header', { hasText: 'filter: stuck' }).waitFor();
      await page.locator('.pane-body .monaco-list-row', { hasText: 'Triage issue' }).first().waitFor({ state: 'detached' });
      await wb.sessionRow('Fix flaky test').waitFor();
      assert.equal(await page.locator('.pane-body .monaco-list-row', { hasText: 'Triage issue' }).count(), 0, 'the filter hides the rest');
      await wb.screenshot('10-fleet-filtered');
      // The two the user stopped: their own group, as stopped (not failed, not among those needing attention).
      await wb.runCommand('Switchyard: Filter Sessions…');
      await wb.answerInput('stopped');
      await page.locator('.pane-header', { hasText: 'filter: stopped' }).waitFor();
      await wb.waitForRowText('Update docs 5', /stopped/);
      await page.locator('.pane-body .monaco-list-row', { hasText: 'Update docs 4' }).locator('.codicon-debug-stop').waitFor();
      await wb.screenshot('11-fleet-stopped');
      // The other process's agents fill the machine past this window's limit (8): a session started here
      // waits in line, and its row says why. Last, as the filter is cleared: its row is revealed in the whole tree.
      // A filter on is seen in the title bar (the filter drawn filled) and cleared there in one click.
      const header = page.locator('.pane-header', { hasText: 'filter: stopped' });
      await header.hover();
      await header.locator('.action-label.codicon-filter-filled').waitFor();
      await header.locator('.action-label[aria-label="Clear Sessions Filter"]').click();
      await page.locator('.pane-header', { hasText: 'filter:' }).waitFor({ state: 'detached' });
      await page.locator('.pane-header .action-label.codicon-filter-filled').waitFor({ state: 'detached' });
      await upstream.configure({ faults: [{ match: { script: 'int-slow' }, eventDelayMs: 300 }] });
      const holding = new Promise(resolve => seeder.stdout.on('data', d => /holding/.test(String(d)) && resolve()));
      seeder.stdin.write('hold 8\n');
      await holding;
      await wb.newSession('[script:default] Write the changelog', 'Write the changelog');
      await wb.waitForRowText('Write the changelog', /queued #1/, 30000);
      await wb.sessionRow('Write the changelog').locator('.monaco-tl-twistie').click();
      // Its details open below it, at the foot of the view: scrolled into sight as a user would, with the wheel.
      const box = await wb.sessionRow('Write the changelog').boundingBox();
      if (box) {
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        await page.mouse.wheel(0, 400);
      }
      await page.locator('.pane-body .monaco-list-row', { hasText: /Waiting for a free slot: \d+ agents run on this machine \(limit 8\)/ }).first().waitFor({ timeout: 10000 });
      copyFileSync(await wb.screenshot('12-fleet-waiting'), path.join(DOCS, 'sidebar-waiting.png'));
      await upstream.configure({ faults: [] });
      // It starts once the machine has room: its row shows the cache share of its first request. Found
      // with the filter, as a user would: among a hundred rows it moves between groups as it runs and
      // ends, and the tree draws only the rows in sight.
      await wb.runCommand('Switchyard: Filter Sessions…');
      await wb.answerInput('changelog');
      await page.locator('.pane-header', { hasText: 'filter: changelog' }).waitFor();
      await wb.waitForRowText('Write the changelog', /cached/, 90000);
    } finally {
      seeder.kill('SIGKILL');
    }
  });

  await step('transcript tabs come back after the window reloads, each showing its session', async () => {
    // Opened by the steps before: the approval session's, kept, and the preview the fleet's clicks left.
    for (const title of ['Check with approval', 'Fix flaky test 5']) await page.locator('.tab', { hasText: `Agent: ${title}` }).waitFor();
    await page.reload();
    await wb.ready();
    await page.locator('.tab', { hasText: 'Agent: Check with approval' }).first().click({ timeout: 30000 });
    await wb.inWebview('text=/Check the project listing/', 60000);
    await page.locator('.tab', { hasText: 'Agent: Fix flaky test 5' }).first().click();
    await wb.inWebview('text=/expected 4, received 5/', 60000);
    // The preview is the preview again (a row's next click reuses it); the kept tab stays kept.
    const keep = page.locator('.editor-actions .action-label[aria-label="Keep Transcript Open"]');
    await keep.waitFor();
    await page.locator('.tab', { hasText: 'Agent: Check with approval' }).first().click();
    await keep.waitFor({ state: 'detached' });
  });

  await step('in Restricted Mode the sidebar and New Session say why no session starts, and how to trust the folder', async () => {
    // A second window, on a folder not trusted: it opens in Restricted Mode (the web workbench asks nothing).
    const dir = path.join(RUN, 'vscode-restricted');
    makeProfile(dir, { 'switchyard.baseUrl': upstream.url, 'workbench.colorTheme': 'Default Dark Modern', 'security.workspace.trust.enabled': true });
    const untrusted = makeGitWorkspace(path.join(RUN, 'workspace', 'downloaded-app'));
    const restrictedEnv = { SWITCHYARD_HOME: path.join(RUN, 'switchyard-home-restricted'), OPENAI_API_KEY: 'sk-e2e-test' };
    await codeServerCli(dir, ['--install-extension', VSIX, '--force'], restrictedEnv);
    const server = await startCodeServer(dir, { folder: untrusted, env: restrictedEnv, workspaceTrust: true });
    const other = await ctx.newPage();
    try {
      const rw = new Workbench(other, SHOTS);
      await other.goto(`${server.url}?folder=${encodeURIComponent(untrusted)}`);
      await rw.ready();
      await rw.statusItem('Restricted Mode').waitFor({ timeout: 30000 });
      await rw.openSwitchyard();
      await other.locator('.pane-body', { hasText: 'In Restricted Mode no session starts' }).first().waitFor({ timeout: 30000 });
      await rw.runCommand('Switchyard: New Session…');
      const toast = other.locator('.notifications-toasts .notification-toast', { hasText: 'no session starts in Restricted Mode' }).first();
      await toast.waitFor({ timeout: 10000 });
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).waitFor();
      assert.equal(await other.locator('.quick-input-widget input[type="text"]').isVisible(), false, 'no task was asked for');
      // What was spent can still be looked at; its empty state offers trust, not a session that cannot start.
      await rw.inWebview('text=/No session starts in Restricted Mode/');
      await rw.inWebview('button:has-text("Manage Workspace Trust")');
      await rw.screenshot('13-restricted');
      // Worktrees go under the Switchyard home, each on a branch of the repository: neither was made.
      assert.equal(execFileSync('git', ['branch', '--list', 'switchyard/*'], { cwd: untrusted, encoding: 'utf8' }), '', 'no session branch was made');
      assert.equal(existsSync(path.join(restrictedEnv.SWITCHYARD_HOME, 'repos')) && readdirSync(path.join(restrictedEnv.SWITCHYARD_HOME, 'repos')).some(r => existsSync(path.join(restrictedEnv.SWITCHYARD_HOME, 'repos', r, 'worktrees'))), false, 'no worktree was made');
    } catch (e) {
      // The step's own screenshot is of the first window.
      await other.screenshot({ path: path.join(SHOTS, 'failure-restricted-window.png') }).catch(() => {});
      throw e;
    } finally {
      await other.close().catch(() => {});
      server.stop();
    }
  });

  exitCode = failed ? 1 : 0;
} catch (e) {
  console.error(e);
} finally {
  await ctx.close().catch(() => {});
  cs.stop();
  await upstream.stop();
}
console.log(`e2e-suite: ${passed} passed, ${failed} failed`);
log(`total e2e run time ${since()}`);
process.exit(exitCode);

/** Pids of the processes whose command line names a file under `dir` ending in `file` (read from /proc: no procps needed). */
function processesRunning(dir, file) {
  return readdirSync('/proc').filter(d => /^\d+$/.test(d) && Number(d) !== process.pid).flatMap(d => {
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      return args.some(a => a.startsWith(dir) && a.endsWith(file)) ? [Number(d)] : [];
    } catch {
      return [];
    }
  });
}
