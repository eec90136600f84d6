// Requests a process had sent when it died (kill -9 mid-stream) were spent at the provider: the next process
// that looks records each of them once, as an estimate, and the caps and the session's totals count them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { UsageRecord } from '../../src/protocol/records';
import type { ReportRow } from '../../src/protocol/spend';
import { Engine } from '../../src/host/engine';
import { silentSink } from '../../src/host/events';
import { BudgetKeeper } from '../../src/host/budgets/budgetKeeper';
import { INFLIGHT_DIR, InflightJournal, parseJournal, type ParsedJournal } from '../../src/host/ledger/inflightJournal';
import { InflightRecovery } from '../../src/host/ledger/inflightRecovery';
import { Ledger } from '../../src/host/ledger/ledger';
import { costAtDearest, costOf } from '../../src/host/pricing/cost';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { withDefaults } from '../../src/host/settings';
import type { HostSettings } from '../../src/protocol/host';
import { buildHelper, runHelper } from './helpers/childProcess';
import { runCli } from './helpers/cli';
import { engineFor, makeRepo, noProgress, settle, tempDir, upstream } from './helpers/engineKit';
import { makeRecord, readAllRecords } from './helpers/records';

/** The first response is a quick tool call; the second streams for seconds, time enough to kill its process. */
const slow = {
  steps: [
    { calls: [{ name: 'write_file', arguments: { path: 'step1.txt', content: 'one\n' } }] },
    { text: 'Still thinking about it. '.repeat(100), calls: [{ name: 'finish', arguments: { summary: 'one step' } }] },
  ],
};

const NO_CAPS = { sessionUsd: null, dayUsd: null, monthUsd: null };

function journals(home: string): { file: string; journal: ParsedJournal; text: string }[] {
  const dir = path.join(home, 'ledger', INFLIGHT_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map(name => {
    const text = readFileSync(path.join(dir, name), 'utf8');
    return { file: name, journal: parseJournal(text), text };
  });
}

function ledgerRecords(home: string): UsageRecord[] {
  const file = path.join(home, 'ledger', 'usage.jsonl');
  return existsSync(file) ? readAllRecords(file) : [];
}

async function until<T>(what: string, look: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = look();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting: ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

function startEngine(home: string, url: string, settings: Partial<HostSettings> = {}): Promise<Engine> {
  return Engine.start({
    home,
    settings: withDefaults({ baseURL: url, budgets: NO_CAPS, sandbox: { enabled: false, allowedDomains: [], denyRead: [] }, ...settings }),
    apiKey: 'sk-x',
    headless: true,
    sink: silentSink,
  });
}

test('a CLI run killed mid-stream: its request is recorded once, as an estimate, whoever recovers it and however often', { timeout: 90_000 }, async t => {
  const up = await upstream(t, { scripts: { slow }, eventDelayMs: 30 });
  const root = tempDir(t);
  const repo = makeRepo(root);
  const home = path.join(root, 'home');
  const env = { SWITCHYARD_HOME: home, OPENAI_API_KEY: 'sk-x', OPENAI_BASE_URL: up.url };

  const run = runCli(['run', '--repo', repo, '--task', '[script:slow] one step'], env);
  await until('the second response streaming', () => {
    const second = up.requests[1];
    return second?.status === 200 && !second.done ? second : undefined;
  });
  await new Promise(r => setTimeout(r, 200));
  run.kill('SIGKILL');
  assert.equal((await run).code, null, 'the CLI was killed');
  assert.equal(up.requests.length, 2);
  assert.ok(up.requests[1]!.cut, 'killed mid-stream');
  const before = ledgerRecords(home);
  assert.equal(before.length, 1, 'only the first response reached the ledger');
  const left = journals(home);

  // Two readers start at once, each recovering at start under the budget lock: one records it.
  const reports = await Promise.all([0, 1].map(() => runCli(['report', '--json', '--by', 'session'], env)));
  const after = ledgerRecords(home);
  assert.equal(after.length, 2, 'the killed request was recorded, once');
  const recovered = after.find(r => r.id !== before[0]!.id)!;
  assert.equal(recovered.estimated, true);
  assert.equal(recovered.sessionId, before[0]!.sessionId);
  assert.ok(recovered.input > 0 && (recovered.costUsd ?? 0) > 0, 'its input is charged');
  // Nobody saw how far its answer got (a reasoning model bills its hidden reasoning first): its whole output
  // cap, as its reservation held it, so no cap is passed by a process killed mid-request.
  assert.equal(recovered.output, up.requests[1]!.body.max_output_tokens);
  // At the model's dearest tier, as the reservation held it: the provider may serve another than asked.
  assert.equal(recovered.requestedTier, 'standard');
  assert.equal(recovered.worstCase, true);
  const usage = { input: recovered.input, cached: recovered.cached, cacheWrite: 0, output: recovered.output, reasoning: recovered.reasoning };
  assert.equal(recovered.costUsd, costAtDearest(loadPriceTable(), recovered.model, usage).costUsd);
  assert.ok(recovered.costUsd! > costOf(loadPriceTable(), recovered.model, 'standard', usage).costUsd!, 'more than at the tier asked');
  for (const r of reports) {
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as ReportRow[];
    assert.equal(rows.reduce((n, row) => n + row.usage.requests, 0), 2, 'each report counts the recovered request');
    assert.equal(rows.reduce((n, row) => n + row.estimatedRequests, 0), 1);
  }
  // It is what the dead process noted before it sent the request; the first request's note had been
  // ended once its record was in; the journal is gone now.
  assert.equal(left.length, 1, 'the dead process left its journal');
  assert.deepEqual(left[0]!.journal.open.map(n => n.record), [recovered]);
  assert.ok(left[0]!.text.includes(`"end":"${before[0]!.id}"`));
  assert.deepEqual(journals(home), []);

  // Recovering again (a host starting, then its periodic sweep) adds nothing, and the session shows it.
  const engine = await startEngine(home, up.url);
  t.after(() => engine.shutdown());
  const [s] = await engine.sessions.list(repo);
  assert.equal(s!.usage.requests, 2);
  assert.equal(s!.estimatedRequests, 1);
  // Counted at the dearest tier's price, it is filed under no tier: nobody saw which one served it.
  assert.ok(Math.abs(s!.costByTier.unknown - recovered.costUsd!) < 1e-9, JSON.stringify(s!.costByTier));
  assert.ok(Math.abs(s!.costUsd - after.reduce((n, r) => n + (r.costUsd ?? 0), 0)) < 1e-9, 'the session\'s cost includes the recovered estimate');
  await new Promise(r => setTimeout(r, 1500));
  assert.equal(ledgerRecords(home).length, 2);
});

test('requests that end normally, or never reach the model, leave no open note; a host that stops removes its journal', async t => {
  const up = await upstream(t, { scripts: { slow } });
  // The first request is answered with an error status (the agent retries it): nothing spent, nothing to recover.
  up.setFaults([{ match: { nth: 1 }, status: 500, retryAfterSec: 0.05, times: 1 }]);
  const { engine, repo, home } = await engineFor(t, { up });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:slow] one step', title: 'Two turns' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.equal(up.requests.length, 3);

  const [j, ...others] = journals(home);
  assert.ok(j, 'requests were noted before they were sent');
  assert.deepEqual(others, []);
  assert.deepEqual(j.journal.open, [], 'no note left open');
  const lines = j.text.trim().split('\n').map(l => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.filter(l => 'begin' in l).length, 3, 'every request sent was noted, the refused one too');
  assert.equal(lines.filter(l => 'end' in l).length, 3);
  const records = ledgerRecords(home);
  assert.equal(records.length, 2);
  assert.ok(records.every(r => !r.estimated));
  const ended = new Set(lines.flatMap(l => (typeof l.end === 'string' ? [l.end] : [])));
  for (const r of records) assert.ok(ended.has(r.id), 'a record shares the id of its note');

  await engine.shutdown();
  assert.deepEqual(journals(home), [], 'a host that stops with nothing in flight leaves no journal');
});

/** A process that noted `records` (and appended `appended` of them), then was killed. */
async function deadProcess(t: TestContext, ledgerDir: string, a: { records: UsageRecord[]; appended?: string[]; snapshot?: boolean }): Promise<void> {
  const helper = await buildHelper('inflightChild', tempDir(t, 'sy-inflight-child-'));
  const child = runHelper(helper, { dir: ledgerDir, ...a });
  await child.waitForLine(l => l === 'noted');
  child.proc.kill('SIGKILL');
  assert.equal(await child.exited, 'SIGKILL');
}

test('a record that reached the ledger before its process died is not counted again, even from before a snapshot', async t => {
  const home = tempDir(t);
  const dir = path.join(home, 'ledger');
  const ts = new Date().toISOString();
  await deadProcess(t, dir, {
    records: [makeRecord('got-in', { ts }), makeRecord('cut-off', { ts, estimated: true })],
    appended: ['got-in'],
    // A process opening the ledger now starts from the snapshot: its own check for doubles never saw `got-in`.
    snapshot: true,
  });
  for (let i = 0; i < 2; i++) {
    const engine = await startEngine(home, 'http://127.0.0.1:9/v1');
    assert.equal(engine.ledger.rollups.records, 2);
    assert.equal(engine.ledger.rollups.bySession.get('s1')?.estimated, 1);
    await engine.shutdown();
    assert.deepEqual(readAllRecords(path.join(dir, 'usage.jsonl')).map(r => r.id).sort(), ['cut-off', 'got-in']);
  }
});

test('the day cap counts what a killed process had in flight: a cap its recovered spend fills refuses the next request', async t => {
  const up = await upstream(t);
  const { engine, repo, home } = await engineFor(t, { up, settings: { budgets: { sessionUsd: null, dayUsd: 1, monthUsd: null } } });
  // The host is already running when another process dies with $0.999 of requests out: what is left of the
  // day ($0.001) is less than any request's worst case.
  await deadProcess(t, path.join(home, 'ledger'), { records: [makeRecord('big-request', { sessionId: 'elsewhere', ts: new Date().toISOString(), costUsd: 0.999, standardCostUsd: 0.999, estimated: true })] });
  const s = await settle(engine, await engine.sessions.create({ repo, task: 'x', title: 'After the kill' }, noProgress));
  assert.equal(s.status, 'over-budget', s.statusReason);
  assert.match(s.statusReason ?? '', /Daily cap reached/);
  assert.equal(up.requests.length, 0, 'nothing was sent');
  assert.equal(ledgerRecords(home).filter(r => r.id === 'big-request').length, 1);
});

test('a long-lived journal starts a new file with only its open notes, and keeps them when it closes', async t => {
  const dir = path.join(tempDir(t), INFLIGHT_DIR);
  const warnings: string[] = [];
  const journal = new InflightJournal({ dir, ledgerOffset: () => 0, log: (_, m) => void warnings.push(m) });
  journal.begin(makeRecord('still-out'));
  for (let i = 0; i < 4000; i++) {
    journal.begin(makeRecord(`r${i}`));
    journal.end(`r${i}`);
  }
  const files = readdirSync(dir);
  assert.equal(files.length, 1, 'the old file was removed');
  const text = readFileSync(path.join(dir, files[0]!), 'utf8');
  assert.ok(text.length < 1 << 20);
  assert.deepEqual(parseJournal(text).open.map(n => n.record.id), ['still-out']);
  assert.equal(journal.openCount, 1);
  await journal.close();
  assert.deepEqual(readdirSync(dir), files, 'a note still open keeps the journal for the next process');
  assert.deepEqual(warnings, []);
  // A line torn by a power cut is skipped; the rest still reads.
  assert.deepEqual(parseJournal(`${text}{"begin":{"id":"tor`).open.map(n => n.record.id), ['still-out']);
});

test('a journals folder that cannot be read holds up no budget decision: the request is reserved and the problem logged', async t => {
  const dir = tempDir(t);
  const ledger = await Ledger.open(dir);
  t.after(() => ledger.close());
  const prices = loadPriceTable();
  // A file where the journals' folder should be: readdir fails (as EIO, EMFILE or EACCES would).
  writeFileSync(path.join(dir, INFLIGHT_DIR), 'not a folder');
  const warnings: string[] = [];
  let recovery: InflightRecovery | undefined;
  const budgets = new BudgetKeeper({ ledger, dir, prices: () => prices, recoverDeadRequests: () => recovery!.recoverHeld() });
  recovery = new InflightRecovery({ ledger, dir: path.join(dir, INFLIGHT_DIR), beats: { state: () => 'beating' }, exclusive: fn => budgets.exclusive(fn), log: (_level, m) => void warnings.push(m) });
  const r = await budgets.reserve({ sessionId: 's', model: 'gpt-5.4', estimatedInputTokens: 1000, maxOutputTokens: 1000 }, { sessionUsd: null, dayUsd: 100, monthUsd: null });
  assert.ok(r.ok, 'reserved');
  if (r.ok) await budgets.settle(r.reservationId);
  assert.match(warnings.join('\n'), /ENOTDIR/);
  assert.equal(await recovery.sweep().catch(() => -1), -1, 'a sweep outside a budget decision still says it failed (and is logged by its caller)');
  await budgets.releaseLease();
});

test("a journal whose writer has no start time (macOS, Windows) is recovered once its host's heartbeat is gone, not while it beats; an older writer's, by its pid", async t => {
  const dir = tempDir(t);
  const ledger = await Ledger.open(dir);
  t.after(() => ledger.close());
  const prices = loadPriceTable();
  const inflight = path.join(dir, INFLIGHT_DIR);
  mkdirSync(inflight, { recursive: true });
  // This process is alive, as a reused pid would be: only the writer's heartbeat can tell it is gone.
  const writer = { pid: process.pid, host: hostname(), start: null, hostId: 'writer-1' };
  const journal = (name: string, owner: object, id: string) => writeFileSync(path.join(inflight, `${name}.jsonl`),
    `${JSON.stringify({ owner })}\n${JSON.stringify({ begin: makeRecord(id, { ts: new Date().toISOString(), estimated: true }), from: 0 })}\n`);
  journal('1-beats', { ...writer, beats: true }, 'cut-off');
  journal('2-older', writer, 'older-version');
  let state: 'beating' | 'gone' = 'beating';
  let recovery: InflightRecovery | undefined;
  const budgets = new BudgetKeeper({ ledger, dir, prices: () => prices, recoverDeadRequests: () => recovery!.recoverHeld() });
  recovery = new InflightRecovery({ ledger, dir: inflight, beats: { state: () => state }, hostId: 'reader', exclusive: fn => budgets.exclusive(fn), log: () => undefined });
  assert.equal(await recovery.sweep(), 0, 'beating');
  state = 'gone';
  assert.equal(await recovery.sweep(), 1, 'its heartbeat gone: its request is recorded');
  assert.deepEqual(readAllRecords(path.join(dir, 'usage.jsonl')).map(r => r.id), ['cut-off'], 'an older writer keeps no heartbeat: judged by its pid, alive');
  await budgets.releaseLease();
});
