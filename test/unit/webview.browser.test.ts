// The real webview bundle in Chromium, under the same CSP the extension's host page sets, with a fake
// acquireVsCodeApi. Skipped when no Chromium is installed (set SWITCHYARD_CHROMIUM to point at one).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TranscriptEvent } from '../../src/protocol/records';
import type { SpendSeries, SpendSummary } from '../../src/protocol/spend';
import type { SessionInfo } from '../../src/protocol/types';
import type { FromWebviewMessage, ToWebviewMessage } from '../../src/protocol/webview';
import { builtWebviewBundle } from './helpers/webviewBundle';
import { noSpendByTier, noUsage, sessionInfo } from './helpers/sessionInfo';

const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

// Stands in for VS Code: records posts, keeps state across reloads, and lets the test post messages.
const FAKE_HOST = `
window.__posted = []; window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi called twice');
  acquired = true;
  return {
    postMessage: m => window.__posted.push(m),
    getState: () => JSON.parse(sessionStorage.getItem('state') || 'null'),
    setState: s => { sessionStorage.setItem('state', JSON.stringify(s)); return s; },
  };
};
window.__send = m => window.postMessage(m, '*');
window.__gap = () => { const s = document.querySelector('.scroller'); return s.scrollHeight - s.scrollTop - s.clientHeight; };
window.__typing = () => document.querySelector('.typing-text')?.textContent;
// Posts an append and counts the list's child changes until its last item shows the given text.
window.__appendCounting = async (m, text) => {
  const list = document.querySelector('.events');
  let n = 0;
  const mo = new MutationObserver(rs => { for (const r of rs) n += r.addedNodes.length + r.removedNodes.length; });
  mo.observe(list, { childList: true });
  window.__send(m);
  while (!list.lastElementChild?.textContent?.includes(text)) await new Promise(r => requestAnimationFrame(r));
  mo.disconnect();
  return n;
};`;

/** Runs an expression in the page (kept as text: this file is type-checked without the DOM library). */
const run = <T>(page: Page, expression: string) => page.evaluate<T>(expression);

/**
 * Polls an expression from outside the page: waitForFunction with a string compiles it inside the page,
 * which the webview's CSP (no 'unsafe-eval') forbids.
 */
async function until(page: Page, expression: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${expression}`);
    await page.waitForTimeout(20);
  }
}

let dir = '';
let server: http.Server | undefined;
let browser: Browser | undefined;
let origin = '';

before(async () => {
  if (skip) return;
  dir = await builtWebviewBundle('switchyard-webview-');
  const codicons = path.resolve('node_modules/@vscode/codicons/dist');
  const files: Record<string, [string, string]> = {
    '/webview.js': [path.join(dir, 'webview.js'), 'text/javascript'],
    '/webview.css': [path.join(dir, 'webview.css'), 'text/css'],
    '/codicon.css': [path.join(codicons, 'codicon.css'), 'text/css'],
    '/codicon.ttf': [path.join(codicons, 'codicon.ttf'), 'font/ttf'],
  };
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/page') {
      const nonce = 'test' + Date.now().toString(36);
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${origin} data:; style-src ${origin}; font-src ${origin}; script-src 'nonce-${nonce}';">
<link href="${origin}/codicon.css" rel="stylesheet"><link href="${origin}/webview.css" rel="stylesheet"></head>
<body data-view="${url.searchParams.get('view') ?? ''}"><div id="app"></div><script nonce="${nonce}" src="${origin}/host.js"></script><script nonce="${nonce}" src="${origin}/webview.js"></script></body></html>`);
    } else if (url.pathname === '/host.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(FAKE_HOST);
    } else if (files[url.pathname]) {
      const [file, type] = files[url.pathname]!;
      res.writeHead(200, { 'content-type': type });
      res.end(readFileSync(file));
    } else {
      // Chromium asks for /favicon.ico on its own; VS Code's webviews never do.
      res.writeHead(url.pathname === '/favicon.ico' ? 204 : 404);
      res.end();
    }
  });
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(view: 'spend' | 'transcript', width = 1000): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', e => errors.push(String(e)));
  page.on('console', m => {
    if (m.type() === 'error') errors.push(`${m.text()} ${m.location().url}`);
  });
  await page.goto(`${origin}/page?view=${view}`);
  await until(page, 'window.__posted.length > 0');
  return { page, errors };
}

const send = (page: Page, m: ToWebviewMessage) => run<void>(page, `window.__send(${JSON.stringify(m)})`);
const posted = (page: Page) => run<FromWebviewMessage[]>(page, 'window.__posted');
const violations = (page: Page) => run<string[]>(page, 'window.__violations');

const usage = noUsage;
const byTier = noSpendByTier;

function spendMessage(spent: boolean, trusted = true): ToWebviewMessage {
  const figures = { costUsd: spent ? 12.5 : 0, usage: { ...usage, input: spent ? 9000 : 0, requests: spent ? 9 : 0 }, costByTier: byTier, priorityPremiumUsd: spent ? 1.5 : 0, unpricedRequests: 0, estimatedRequests: 0, cacheShare: 0.5 };
  const summary: SpendSummary = { day: '2026-11-02', month: '2026-11', today: figures, thisMonth: figures, topSessions: [], budgets: [{ scope: 'month', capUsd: 100, spentUsd: spent ? 12.5 : 0, reservedUsd: 0 }], capReached: false };
  const series: SpendSeries = {
    days: ['2026-11-01', '2026-11-02', '2026-11-03'],
    bySession: spent ? [{ sessionId: 's1', title: 'Fix <b>the</b> tests', costUsd: [2, 8, 0] }, { sessionId: 'other', title: 'Other sessions', costUsd: [1, 1.5, 0] }] : [],
    cacheShare: [0.5, 0.6, 0], byTier: { ...byTier, standard: spent ? 12.5 : 0 },
    byModel: spent ? [{ model: 'gpt-5.4', costUsd: 12.5, unpriced: 0 }, { model: 'local-llm', costUsd: 0, unpriced: 4 }] : [],
    priorityPremiumUsd: spent ? 1.5 : 0, monthUsd: spent ? 12.5 : 0, monthSessions: spent ? 2 : 0, monthCapUsd: 100, cacheBreakLossUsd: 0,
  };
  return { type: 'spend/state', body: { summary, series, sessions: spent ? 2 : 0, trusted } };
}

const session = (over: Partial<SessionInfo> = {}): SessionInfo => sessionInfo({ worktree: '/w', ...over });

const ts = '2026-11-02T10:00:00.000Z';
const notices = (n: number, prefix = 'n'): TranscriptEvent[] => Array.from({ length: n }, (_, i) => ({ kind: 'notice', ts, level: 'info', text: `${prefix}${i}` }));

test('spend view: ready first, the empty state, then the dashboard; clicks post typed messages', { skip }, async () => {
  const { page, errors } = await open('spend', 320);
  assert.deepEqual(await posted(page), [{ type: 'ready', body: {} }]);
  await send(page, spendMessage(false));
  await page.getByRole('button', { name: 'New Session' }).click();
  await page.getByRole('button', { name: 'Set budgets' }).click();
  await send(page, spendMessage(true));
  await page.waitForSelector('.stacked-chart svg rect.bar');
  assert.equal(await page.locator('.stacked-chart rect.bar').count(), 4, 'two series over two days with spend');
  // A screen reader hears the figures the bars show.
  assert.equal(await page.locator('.stacked-chart svg').getAttribute('aria-label'), 'Spend per day this month, stacked by session: 2 days with spend, the most $9.50 on Nov 2. Nov 1 $3.00, Nov 2 $9.50.');
  await page.locator('.legend-item.clickable').click();
  assert.equal(await page.locator('.legend-item').nth(1).evaluate(el => el.tagName), 'DIV', '"other" is not a session to open');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  assert.deepEqual((await posted(page)).map(m => m.type), ['ready', 'spend/newSession', 'spend/setBudgets', 'spend/openSession', 'spend/export']);
  assert.deepEqual((await posted(page))[3], { type: 'spend/openSession', body: { sessionId: 's1' } });
  const modelRows = await page.locator('.model-table tbody tr').allInnerTexts();
  assert.match(modelRows[1] ?? '', /local-llm\s+unpriced/);
  assert.ok(!modelRows.some(r => /local-llm.*\$0/.test(r)), 'an unpriced model never shows as $0');
  assert.equal(await page.locator('b').count(), 0, 'a session title is text, not markup');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('spend view: a month that includes estimated requests is marked, as the CLI marks a cost, and says how many', { skip }, async () => {
  const { page, errors } = await open('spend', 320);
  const m = spendMessage(true);
  if (m.type !== 'spend/state') throw new Error('a spend message');
  await send(page, m);
  await page.waitForSelector('.overview .big-number');
  assert.equal(await page.locator('.overview .estimate-mark').count(), 0, 'nothing estimated, nothing marked');
  m.body.summary.thisMonth = { ...m.body.summary.thisMonth, estimatedRequests: 2 };
  await send(page, m);
  await page.locator('.overview .estimate-mark').waitFor();
  assert.equal(await page.locator('.overview .big-number').innerText(), '$12.50~');
  assert.equal(await page.locator('.overview .mid-number').innerText(), '$12.50', 'none of them today');
  assert.match(await page.locator('.overview').innerText(), /~ includes 2 estimated requests/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('spend view: in Restricted Mode the empty state offers to trust the workspace, not a session that cannot start', { skip }, async () => {
  const { page, errors } = await open('spend', 320);
  await send(page, spendMessage(false, false));
  await page.getByRole('button', { name: 'Manage Workspace Trust' }).click();
  assert.equal(await page.getByRole('button', { name: 'New Session' }).count(), 0);
  assert.match(await page.locator('.empty-state').innerText(), /No session starts in Restricted Mode/);
  await send(page, spendMessage(false, true));
  await page.getByRole('button', { name: 'New Session' }).waitFor();
  assert.deepEqual((await posted(page)).map(m => m.type), ['ready', 'spend/manageTrust']);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test("spend view: another repository's session is listed by title and folder, and is not a button", { skip }, async () => {
  const { page, errors } = await open('spend', 320);
  const m = spendMessage(true);
  if (m.type !== 'spend/state') throw new Error('a spend message');
  m.body.series.bySession.unshift({ sessionId: 'far1', title: 'Add rate limits', repoName: 'api-server', costUsd: [20, 0, 0] });
  await send(page, m);
  const item = page.locator('.legend-item', { hasText: 'Add rate limits' });
  await item.waitFor();
  assert.equal(await item.evaluate(el => el.tagName), 'DIV', 'this window has no transcript of it to open');
  assert.equal(await item.locator('.legend-repo').innerText(), 'api-server');
  assert.match(await item.getAttribute('title') ?? '', /a session of api-server: open that folder to see its transcript/);
  assert.equal(await page.locator('.legend-item.clickable').count(), 1, 'the window\'s own session can still be opened');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('transcript: model and tool text is never markup', { skip }, async () => {
  const { page, errors } = await open('transcript');
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  await send(page, { type: 'transcript/reset', body: { session: session({ title: evil }), events: [
    { kind: 'user', ts, text: evil },
    { kind: 'assistant', ts, turn: 1, text: `**${evil}** \`${evil}\`\n\n\`\`\`html\n${evil}\n\`\`\`` },
    { kind: 'tool-call', ts, turn: 1, callId: 'c', name: evil, args: JSON.stringify({ path: evil }) },
    { kind: 'tool-result', ts, turn: 1, callId: 'c', output: evil, ok: false },
    { kind: 'notice', ts, level: 'error', text: evil },
    // A command agent's own lines: stderr is tagged, not shown as a warning.
    { kind: 'notice', ts, level: 'info', text: evil, stream: 'stdout' },
    { kind: 'notice', ts, level: 'info', text: evil, stream: 'stderr' },
  ] } });
  await page.waitForSelector('.item-notice');
  assert.equal(await page.locator('.notice-output').count(), 2);
  assert.equal(await page.locator('.notice-stderr .stream-tag').innerText(), 'stderr');
  assert.equal(await page.locator('.notice-output .codicon-warning').count(), 0);
  await page.locator('.tool-head').click();
  await page.waitForSelector('.tool-output');
  assert.equal(await page.locator('#app img, #app script').count(), 0);
  assert.equal(await run<number | undefined>(page, 'window.__pwned'), undefined);
  assert.ok((await page.locator('h1').innerText()).includes('<img'), 'the title shows the text as typed');
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('transcript: streamed text is replaced by the answer; auto-scroll follows until the user scrolls up', { skip }, async () => {
  const { page } = await open('transcript', 900);
  await send(page, { type: 'transcript/reset', body: { session: session(), events: notices(80) } });
  await page.waitForSelector('.item-notice >> text=n79');
  assert.ok((await run<number>(page, 'window.__gap()')) < 4, 'opens at the end');
  for (const delta of ['Hel', 'lo ', 'there']) await send(page, { type: 'transcript/append', body: { events: [{ kind: 'assistant-delta', ts, turn: 1, delta }] } });
  await until(page, "window.__typing() === 'Hello there'");
  await send(page, { type: 'transcript/append', body: { events: [{ kind: 'assistant', ts, turn: 1, text: 'Hello there, done.' }] } });
  await page.waitForSelector('.item-assistant >> text=Hello there, done.');
  assert.equal(await page.locator('.item-typing').count(), 0);
  await until(page, 'window.__gap() < 4');

  await run(page, "document.querySelector('.scroller').scrollBy(0, -400)");
  await until(page, 'window.__gap() > 300');
  const top = await run<number>(page, "document.querySelector('.scroller').scrollTop");
  await send(page, { type: 'transcript/append', body: { events: notices(20, 'late') } });
  await page.waitForSelector('.item-notice >> text=late19', { state: 'attached' });
  assert.equal(await run<number>(page, "document.querySelector('.scroller').scrollTop"), top, 'no jump while reading above');
  await page.locator('.jump-latest.visible').click();
  await until(page, 'window.__gap() < 4');
  await page.close();
});

test('transcript: an opened tool block and the session stay as they were when the view is restored', { skip }, async () => {
  const { page } = await open('transcript');
  const reset: ToWebviewMessage = { type: 'transcript/reset', body: { session: session(), events: [
    { kind: 'tool-call', ts, turn: 1, callId: 'call-7', name: 'run_command', args: '{"command":"npm test"}' },
    { kind: 'tool-result', ts, turn: 1, callId: 'call-7', output: 'all green', ok: true },
  ] } };
  await send(page, reset);
  await page.locator('.tool-head').click();
  await page.waitForSelector('.tool-output >> text=all green');
  await run(page, "dispatchEvent(new Event('pagehide'))");
  await page.reload();
  await until(page, 'window.__posted.length > 0');
  await send(page, reset);
  await page.waitForSelector('.tool-output >> text=all green');
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'paused', tier: 'flex' }) } });
  await page.waitForSelector('.badge.status-paused');
  await page.locator('.tier-chip').click();
  await page.getByRole('menuitemradio', { name: /Priority/ }).click();
  await page.getByRole('button', { name: 'Show Changes' }).click();
  assert.deepEqual((await posted(page)).slice(1), [
    { type: 'transcript/setTier', body: { sessionId: 'sess-1', tier: 'priority' } },
    { type: 'transcript/showChanges', body: { sessionId: 'sess-1' } },
  ]);
  await page.close();
});

test('transcript: the header offers what the session can do next, and an update keeps the keyboard on its button', { skip }, async () => {
  const { page, errors } = await open('transcript');
  await send(page, { type: 'transcript/reset', body: { session: session({ status: 'running' }), events: [] } });
  await page.getByRole('button', { name: 'Pause' }).focus();
  // A running session's header is rebuilt several times a second: the focus must not fall off it.
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'running', costUsd: 0.5 }) } });
  await page.waitForSelector('text=$0.50');
  assert.equal(await run<string | undefined>(page, 'document.activeElement?.dataset.focus'), 'pause');
  await page.keyboard.press('Enter');
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'stuck' }) } });
  await page.getByRole('button', { name: 'Resume', exact: true }).click();
  await page.getByRole('button', { name: 'Resume with Hint…' }).click();
  await page.getByRole('button', { name: 'Stop' }).click();
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'failed' }) } });
  await page.getByRole('button', { name: 'Retry' }).click();
  assert.equal(await page.getByRole('button', { name: 'Stop' }).count(), 0, 'a failed session has nothing to stop');
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'done' }) } });
  await page.getByRole('button', { name: 'Merge…' }).click();
  await page.getByRole('button', { name: 'Discard…' }).click();
  // Waiting for the user's answer about a command: the way to give it is in the header, not only in a notification.
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'waiting' }) } });
  await page.getByRole('button', { name: 'Review Command…' }).click();
  assert.deepEqual((await posted(page)).slice(1).map(m => m.type === 'transcript/act' ? m.body.action : m.type), ['pause', 'resume', 'hint', 'stop', 'resume', 'merge', 'discard', 'review']);
  assert.deepEqual(await violations(page), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('transcript: a merged session offers no Show Changes (its worktree is gone)', { skip }, async () => {
  const { page } = await open('transcript');
  await send(page, { type: 'transcript/reset', body: { session: session({ status: 'done' }), events: [] } });
  await page.getByRole('button', { name: 'Show Changes' }).waitFor();
  await send(page, { type: 'transcript/session', body: { session: session({ status: 'merged' }) } });
  await page.waitForSelector('.badge.status-merged');
  assert.equal(await page.getByRole('button', { name: 'Show Changes' }).count(), 0);
  await page.close();
});

test("transcript: a session the loop guard paused says why in its banner and the guard's callout, not twice more", { skip }, async () => {
  const { page } = await open('transcript');
  const why = 'Stuck, paused for you to resume, resume with a hint, or stop: The same error 6 times';
  const stuck = session({ status: 'stuck', statusReason: `Loop guard: ${why} ($0.0106 spent since the last progress).`, guard: { level: 'pause', reason: why, spentSinceProgressUsd: 0.0106, turnsSinceProgress: 6 } });
  const events: TranscriptEvent[] = [
    { kind: 'guard', ts, level: 'pause', reason: `${why} ($0.0106 spent since the last progress)` },
    { kind: 'status', ts, status: 'stuck', reason: stuck.statusReason },
    { kind: 'status', ts, status: 'paused', reason: 'Paused by the user.' },
  ];
  await send(page, { type: 'transcript/reset', body: { session: stuck, events } });
  await page.waitForSelector('.item-status >> nth=1');
  const text = await run<string>(page, 'document.body.innerText');
  assert.equal(text.split('The same error 6 times').length - 1, 2, text);
  assert.equal(await page.locator('.header-banner.guard').count(), 1);
  assert.equal(await page.locator('.header-reason').count(), 0);
  // Another status keeps its reason.
  assert.deepEqual(await page.locator('.status-reason').allInnerTexts(), ['Paused by the user.']);
  await page.close();
});

test('transcript: 5,000 events open with a bounded page, and one append adds one element', { skip }, async () => {
  const { page, errors } = await open('transcript');
  const events: TranscriptEvent[] = [];
  for (let t = 1; events.length < 5000; t++) {
    events.push(
      { kind: 'assistant', ts, turn: t, text: `Turn ${t}: reading \`src/file${t}.ts\`.` },
      { kind: 'tool-call', ts, turn: t, callId: `c${t}`, name: 'read_file', args: JSON.stringify({ path: `src/file${t}.ts` }) },
      { kind: 'tool-result', ts, turn: t, callId: `c${t}`, output: 'x\n'.repeat(200), ok: true },
      { kind: 'notice', ts, level: 'info', text: `end of turn ${t}` },
    );
  }
  const started = Date.now();
  await send(page, { type: 'transcript/reset', body: { session: session(), events } });
  await page.waitForSelector('text=end of turn 1250');
  const openedMs = Date.now() - started;
  const rendered = await page.locator('.events > .item').count();
  assert.ok(rendered > 0 && rendered <= 800, `${rendered} items in the DOM`);
  assert.ok(openedMs < 8000, `opening took ${openedMs} ms`);
  const one: ToWebviewMessage = { type: 'transcript/append', body: { events: [{ kind: 'notice', ts, level: 'info', text: 'one more' }] } };
  const added = await run<number>(page, `window.__appendCounting(${JSON.stringify(one)}, 'one more')`);
  assert.equal(added, 1, 'an append adds its element and touches nothing else');
  // A click event in place: scrolling the button into view near the top would itself load earlier events
  // (infinite scroll upward), moving it away from the pointer while a mouse click is on its way.
  await page.getByRole('button', { name: /Show earlier events/ }).dispatchEvent('click');
  assert.ok((await page.locator('.events > .item').count()) > rendered, 'earlier items come back on demand');
  assert.deepEqual(errors, []);
  await page.close();
});
