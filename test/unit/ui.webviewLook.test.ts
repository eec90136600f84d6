// How the webviews look where a usability test found them wanting: colours in the four kinds of theme
// (VS Code's own values for the variables it sets), and the Spend view in a 200 px sidebar. The real
// bundle in Chromium, as in webview.browser.test.ts; skipped when no Chromium is installed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { SpendSeries, SpendSummary } from '../../src/protocol/spend';
import type { ToWebviewMessage } from '../../src/protocol/webview';
import { builtWebviewBundle } from './helpers/webviewBundle';
import { noSpendByTier, noUsage, sessionInfo } from './helpers/sessionInfo';

const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

// Code-OSS 1.139's values. charts.orange is minimap.findMatchHighlight, the find-match fill: translucent in
// dark and light themes, and null (so no variable at all) in high-contrast ones.
const THEMES = {
  dark: {
    background: '#181818', foreground: '#cccccc', 'charts-orange': 'rgba(234, 92, 0, 0.33)', 'charts-blue': '#59a4f9', 'charts-yellow': '#cca700',
    'charts-red': '#f14c4c', 'charts-green': '#89d185', 'charts-purple': '#b180d7', 'editorWarning-foreground': '#cca700', errorForeground: '#f48771',
  },
  light: {
    background: '#f8f8f8', foreground: '#3b3b3b', 'charts-orange': 'rgba(234, 92, 0, 0.33)', 'charts-blue': '#0063d3', 'charts-yellow': '#bf8803',
    'charts-red': '#e51400', 'charts-green': '#388a34', 'charts-purple': '#652d90', 'editorWarning-foreground': '#bf8803', errorForeground: '#a1260d',
  },
  'hc-light': {
    background: '#ffffff', foreground: '#292929', 'charts-blue': '#0063d3', 'charts-yellow': '#895503',
    'charts-red': '#b5200d', 'charts-green': '#374e06', 'charts-purple': '#652d90', 'editorWarning-foreground': '#895503', errorForeground: '#b5200d',
  },
  'hc-black': {
    background: '#000000', foreground: '#ffffff', 'charts-blue': '#59a4f9', 'charts-yellow': '#ffd370',
    'charts-red': '#f48771', 'charts-green': '#89d185', 'charts-purple': '#b180d7', 'editorWarning-foreground': '#ffd370', errorForeground: '#f48771',
  },
} as const;
type Theme = keyof typeof THEMES;

const FAKE_HOST = `
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('acquireVsCodeApi called twice');
  acquired = true;
  return { postMessage: () => undefined, getState: () => null, setState: s => s };
};
window.__send = m => window.postMessage(m, '*');`;

let dir = '';
let server: http.Server | undefined;
let browser: Browser | undefined;
let origin = '';

before(async () => {
  if (skip) return;
  dir = await builtWebviewBundle('switchyard-ui-');
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (url.pathname === '/page') {
      const nonce = `n${Date.now().toString(36)}`;
      send('text/html', `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${origin}; script-src 'nonce-${nonce}';">
<link href="${origin}/theme.css?name=${url.searchParams.get('theme')}" rel="stylesheet"><link href="${origin}/webview.css" rel="stylesheet"></head>
<body data-view="${url.searchParams.get('view')}"><div id="app"></div><script nonce="${nonce}" src="${origin}/host.js"></script><script nonce="${nonce}" src="${origin}/webview.js"></script></body></html>`);
    } else if (url.pathname === '/theme.css') {
      // As VS Code gives a webview its theme: --vscode-* variables on the root, and the background.
      const theme = THEMES[url.searchParams.get('name') as Theme];
      send('text/css', `html { ${Object.entries(theme).map(([k, v]) => `--vscode-${k}: ${v};`).join(' ')} background: ${theme.background}; }`);
    } else if (url.pathname === '/host.js') send('text/javascript', FAKE_HOST);
    else if (url.pathname === '/webview.js' || url.pathname === '/webview.css') send(url.pathname.endsWith('js') ? 'text/javascript' : 'text/css', readFileSync(path.join(dir, url.pathname)));
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});

after(async () => {
  await browser?.close();
  await new Promise<void>(resolve => (server ? server.close(() => resolve()) : resolve()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(view: 'spend' | 'transcript', theme: Theme, width: number, m: ToWebviewMessage, height = 900): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width, height } });
  await page.goto(`${origin}/page?view=${view}&theme=${theme}`);
  await page.evaluate(`window.__send(${JSON.stringify(m)})`);
  return page;
}

const usage = noUsage;
const byTier = noSpendByTier;

function spendMessage(): ToWebviewMessage {
  const figures = { costUsd: 0.8246, usage: { ...usage, input: 9000, requests: 9 }, costByTier: byTier, priorityPremiumUsd: 0.007, unpricedRequests: 0, estimatedRequests: 0, cacheShare: 0.5 };
  const summary: SpendSummary = { day: '2026-11-02', month: '2026-11', today: figures, thisMonth: figures, topSessions: [], budgets: [{ scope: 'month', capUsd: 100, spentUsd: 0.8246, reservedUsd: 0 }], capReached: false };
  const series: SpendSeries = {
    days: ['2026-11-01', '2026-11-02'], bySession: [{ sessionId: 's1', title: 'Fix the tests', costUsd: [0.3, 0.5246] }],
    cacheShare: [0.5, 0.5], byTier: { ...byTier, priority: 0.0146, standard: 0.2254 }, byModel: [{ model: 'gpt-5.4', costUsd: 0.8246, unpriced: 0 }],
    priorityPremiumUsd: 0.007, monthUsd: 0.8246, monthSessions: 1, monthCapUsd: 100, cacheBreakLossUsd: 0,
  };
  return { type: 'spend/state', body: { summary, series, sessions: 1, trusted: true } };
}

/** November with eight sessions and "other", each spending on most of the first twenty days. */
function busyMonth(): ToWebviewMessage {
  const m = spendMessage();
  if (m.type !== 'spend/state') throw new Error('a spend message');
  const days = Array.from({ length: 30 }, (_, i) => `2026-11-${String(i + 1).padStart(2, '0')}`);
  const costs = (k: number) => days.map((_, i) => (i < 20 && (i + k) % 4 ? 1 + ((i * 7 + k * 3) % 5) : 0));
  const bySession = [...Array.from({ length: 8 }, (_, k) => ({ sessionId: `s${k}`, title: `Session ${k + 1}`, costUsd: costs(k) })), { sessionId: 'other', title: 'Other sessions', costUsd: costs(8) }];
  return { ...m, body: { ...m.body, summary: { ...m.body.summary, day: '2026-11-20' }, series: { ...m.body.series, days, bySession, cacheShare: days.map(() => 0.5) } } };
}

function stuckTranscript(): ToWebviewMessage {
  const session = sessionInfo({
    tier: 'priority', worktree: '/w', status: 'stuck', statusReason: 'Loop guard: the same command, 4 times.', costUsd: 0.2, turns: 4,
    guard: { level: 'pause', reason: 'the same command, 4 times', spentSinceProgressUsd: 0.1, turnsSinceProgress: 4 }, cacheBreakLossUsd: 0.05, cacheBreaks: 1,
  });
  const ts = '2026-11-02T10:00:00.000Z';
  return { type: 'transcript/reset', body: { session, events: [{ kind: 'cache-break', ts, turn: 2, reason: 'the tools changed', segment: 'tools', lostUsd: 0.05 }] } };
}

/** A computed CSS colour (rgb(), rgba() or color(srgb ...)) as 0..1 channels and alpha. */
function channels(css: string): [number, number, number, number] {
  const srgb = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)$/.exec(css);
  if (srgb) return [Number(srgb[1]), Number(srgb[2]), Number(srgb[3]), srgb[4] === undefined ? 1 : Number(srgb[4])];
  const rgb = /^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$/.exec(css);
  if (rgb) return [Number(rgb[1]) / 255, Number(rgb[2]) / 255, Number(rgb[3]) / 255, rgb[4] === undefined ? 1 : Number(rgb[4])];
  throw new Error(`unparsed colour ${css}`);
}

/** WCAG contrast of an opaque colour against a hex background. */
function contrast(css: string, background: string): number {
  const lum = ([r, g, b]: number[]) => [r!, g!, b!].map(c => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)).reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i]!, 0);
  const bg = [1, 3, 5].map(i => parseInt(background.slice(i, i + 2), 16) / 255);
  const [a, b] = [lum(channels(css)), lum(bg)].sort((x, y) => y - x);
  return (a! + 0.05) / (b! + 0.05);
}

/** Distance in OKLab, where 0.02 is about the smallest difference an eye sees. */
function distance(a: string, b: string): number {
  const oklab = (css: string) => {
    const [r, g, b] = channels(css).slice(0, 3).map(c => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [number, number, number];
    const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
    const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
    const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
    return [0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s, 1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s, 0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s];
  };
  const [x, y] = [oklab(a), oklab(b)];
  return Math.hypot(x[0]! - y[0]!, x[1]! - y[1]!, x[2]! - y[2]!);
}

// Page code as text: this file is type-checked without the DOM library.
const style = (page: Page, selector: string, prop: 'color' | 'background-color') =>
  page.evaluate<string>(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue('${prop}')`);

for (const theme of Object.keys(THEMES) as Theme[]) {
  test(`${theme}: priority, stuck and money lost are drawn in a solid colour of their own`, { skip }, async () => {
    const { background } = THEMES[theme];
    const transcript = await open('transcript', theme, 900, stuckTranscript());
    await transcript.waitForSelector('.cache-break .lost', { state: 'attached' });
    const spend = await open('spend', theme, 400, spendMessage());
    await spend.waitForSelector('.callout-title .codicon', { state: 'attached' });
    const texts: [Page, string][] = [[transcript, '.badge.status-stuck'], [transcript, '.tier-chip-priority'], [transcript, '.cache-break .lost'], [spend, '.callout-title .codicon']];
    for (const [page, selector] of texts) {
      const color = await style(page, selector, 'color');
      assert.equal(channels(color)[3], 1, `${selector} is drawn in ${color}: translucent`);
      assert.notEqual(color, await page.evaluate<string>('getComputedStyle(document.body).color'), `${selector} falls back to plain text: the theme lacks its variable`);
      assert.ok(contrast(color, background) >= 4.5, `${selector} in ${color} on ${background}: contrast ${contrast(color, background).toFixed(2)}`);
    }
    for (const selector of ['.dot.tier-priority', '.series-blue.swatch']) {
      const fill = await style(spend, selector, 'background-color');
      assert.equal(channels(fill)[3], 1, `${selector} is filled with ${fill}`);
    }
    await transcript.close();
    await spend.close();
  });
}

for (const theme of Object.keys(THEMES) as Theme[]) {
  test(`${theme}: every session of the Spend chart has a look of its own, and its legend swatch is its bars'`, { skip }, async () => {
    const page = await open('spend', theme, 400, busyMonth());
    await page.waitForSelector('.legend .swatch');
    // Per legend row: its hue (the line of a hollow one), whether hollow, and the same read from its bars.
    const looks = await page.evaluate<{ cls: string; swatch: [string, boolean]; bars: [string, boolean][] }[]>(`[...document.querySelectorAll('.legend .swatch')].map(sw => {
      const series = el => [...el.classList].filter(c => c.startsWith('series-')).join(' ');
      const cls = series(sw);
      const s = getComputedStyle(sw);
      const hollow = s.borderTopWidth !== '0px';
      return {
        cls,
        swatch: [hollow ? s.borderTopColor : s.backgroundColor, hollow],
        bars: [...document.querySelectorAll('.stacked-chart rect.bar')].filter(r => series(r) === cls).map(r => {
          const b = getComputedStyle(r);
          return b.stroke === 'none' ? [b.fill, false] : [b.stroke, true];
        }),
      };
    })`);
    assert.equal(looks.length, 9);
    for (const l of looks) {
      assert.ok(l.bars.length > 0, `${l.cls} has bars`);
      for (const bar of l.bars) assert.deepEqual(bar, l.swatch, `${l.cls}: bar and swatch`);
    }
    const sessions = looks.filter(l => l.cls !== 'series-other');
    for (const [i, a] of sessions.entries()) {
      assert.equal(channels(a.swatch[0])[3], 1, `${a.cls} is drawn in ${a.swatch[0]}: translucent`);
      for (const b of sessions.slice(i + 1)) {
        if (a.swatch[1] !== b.swatch[1]) continue;
        const d = distance(a.swatch[0], b.swatch[0]);
        assert.ok(d >= 0.13, `${a.cls} (${a.swatch[0]}) and ${b.cls} (${b.swatch[0]}) look alike: ${d.toFixed(3)} apart`);
      }
    }
    await page.close();
  });
}

for (const width of [170, 200, 260, 400, 900]) test(`spend chart ${width} px wide: day labels on one step from day 1, none touching`, { skip }, async () => {
  const page = await open('spend', 'dark', width, busyMonth());
  await page.waitForSelector('.stacked-chart rect.bar');
  const labels = await page.evaluate<{ day: number; left: number; right: number }[]>(`[...document.querySelectorAll('.stacked-chart text.tick[text-anchor=middle]')].map(t => {
    const r = t.getBoundingClientRect();
    return { day: Number(t.textContent), left: r.left, right: r.right };
  })`);
  const days = labels.map(l => l.day);
  assert.equal(days[0], 1);
  const steps = new Set(days.slice(2).map((d, i) => d - days[i + 1]!));
  assert.ok(steps.size <= 1, `one step: ${days}`);
  const every = [...steps][0] ?? days[1]! - 1;
  assert.ok(days.length < 2 || days[1] === (every % 5 === 0 ? every : 1 + every), `the second label is on the grid: ${days}`);
  for (let i = 1; i < labels.length; i++) assert.ok(labels[i]!.left - labels[i - 1]!.right >= 4, `labels ${days[i - 1]} and ${days[i]} touch: ${days}`);
  assert.ok(days.length >= 3, `a month needs more than ${days} at ${width} px`);
  await page.close();
});

for (const width of [170, 200, 260]) test(`spend view in a ${width} px sidebar: tier and budget figures are whole, inside their cards, and the bars are bars`, { skip }, async () => {
  const page = await open('spend', 'dark', width, spendMessage());
  await page.waitForSelector('.tier-row');
  const figures = await page.locator('.tier-row > .num').allInnerTexts();
  assert.deepEqual(figures, ['$0.0146', '$0.2254', '$0.00']);
  const escaping = await page.evaluate<string[]>(`[...document.querySelectorAll('.tier-row > .num, .budget-row-head > *, .budget-row-foot > *')].flatMap(el => {
    const card = el.closest('.card').getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.right > card.right - 1 || r.left < card.left || el.scrollWidth > el.clientWidth + 1 ? [el.textContent] : [];
  })`);
  assert.deepEqual(escaping, [], 'figures cut or past the card\'s edge');
  const bars = await page.evaluate<number[]>(`[...document.querySelectorAll('.tier-row .mini-track')].map(t => Math.round(t.getBoundingClientRect().width))`);
  assert.equal(new Set(bars).size, 1, `every tier's bar has the same length: ${bars}`);
  assert.ok(bars[0]! >= 40, `a bar, not a dot: ${bars[0]} px`);
  await page.close();
});

test('a transcript in a short editor keeps its header to the top part: the log under it is what is read', { skip }, async () => {
  for (const [height, most] of [[480, 0.41], [900, 0.5]] as const) {
    const page = await open('transcript', 'dark', 700, stuckTranscript(), height);
    await page.waitForSelector('.session-header .header-banner');
    const share = await page.evaluate<number>(`document.querySelector('.session-header').getBoundingClientRect().height / window.innerHeight`);
    assert.ok(share <= most, `the header takes ${Math.round(share * 100)} % of a ${height} px editor`);
    await page.close();
  }
});
