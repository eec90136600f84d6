// Sessions of other repositories share the ledger: the Spend view and reports name them from their records in
// the home (title and repository folder), read once per id, and fall back to the id when the record is gone.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BudgetKeeper } from '../../src/host/budgets/budgetKeeper';
import { silentSink, type EngineSink } from '../../src/host/events';
import { homeLayout, type HomeLayout } from '../../src/host/home';
import { Ledger } from '../../src/host/ledger/ledger';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { SessionLabels } from '../../src/host/sessions/sessionLabels';
import { SessionStore } from '../../src/host/sessions/sessionStore';
import { withDefaults } from '../../src/host/settings';
import { SpendService } from '../../src/host/spend/spendService';
import type { SpendSummary } from '../../src/protocol/spend';
import { engineFor, noProgress, settle, upstream } from './helpers/engineKit';
import { makeRecord } from './helpers/records';

function homeIn(t: TestContext): { root: string; home: HomeLayout } {
  const root = mkdtempSync(path.join(tmpdir(), 'sy-labels-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return { root, home: homeLayout(path.join(root, 'home')) };
}

/** A session record where the session store keeps it, with the fields a record must have. */
function writeSession(home: HomeLayout, repo: string, id: string, title: string): void {
  const file = new SessionStore(home).paths(repo, id).record;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ version: 1, id, title, task: title, repo, branch: `switchyard/${id}`, worktree: `/wt/${id}`, status: 'done' }));
}

test('a session of another repository is named from its record, read once; a gone record leaves the id', async t => {
  const { root, home } = homeIn(t);
  writeSession(home, path.join(root, 'webapp'), 'a1', 'Fix the login form');
  writeSession(home, path.join(root, 'api-server'), 'b2', 'Add rate limits');
  let found = 0;
  const labels = new SessionLabels({ reposDir: home.reposDir, onFound: () => found++ });

  // Nothing is known yet: the caller shows the id now, and hears when to ask again.
  assert.equal(labels.peek('a1'), undefined);
  assert.equal(labels.peek('b2'), undefined);
  assert.equal(labels.peek('gone'), undefined);
  await labels.lookup([]);
  await until(() => found === 1);
  assert.equal(labels.scans, 1, 'ids asked for together share one scan');
  assert.deepEqual(labels.peek('a1'), { title: 'Fix the login form', repoName: 'webapp' });
  assert.deepEqual(labels.peek('b2'), { title: 'Add rate limits', repoName: 'api-server' });

  // Every update of the view asks again: known ids and recent misses cost no disk at all.
  for (let i = 0; i < 50; i++) {
    labels.peek('a1');
    labels.peek('gone');
    await labels.lookup(['b2', 'gone']);
  }
  assert.equal(labels.scans, 1);
  assert.equal(labels.peek('gone'), undefined);
  assert.equal(found, 1);
});

test('a miss is looked for again after a while; lookup() waits for the answer', async t => {
  const { root, home } = homeIn(t);
  let now = 1_000;
  const labels = new SessionLabels({ reposDir: home.reposDir, now: () => now, missRetryMs: 60_000 });
  await labels.lookup(['late']);
  assert.equal(labels.peek('late'), undefined);
  assert.equal(labels.scans, 1);
  writeSession(home, path.join(root, 'docs-site'), 'late', 'Rewrite the guide');
  await labels.lookup(['late']);
  assert.equal(labels.scans, 1, 'a recent miss is not looked for again');
  now += 60_000;
  await labels.lookup(['late']);
  assert.equal(labels.scans, 2);
  assert.deepEqual(labels.peek('late'), { title: 'Rewrite the guide', repoName: 'docs-site' });
});

test('an id that is not a plain folder name finds nothing outside the sessions folders', async t => {
  const { root, home } = homeIn(t);
  writeSession(home, path.join(root, 'webapp'), 'a1', 'Fix the login form');
  const labels = new SessionLabels({ reposDir: home.reposDir });
  await labels.lookup(['../../sessions/a1', '..', 'a1/../a1']);
  for (const id of ['../../sessions/a1', '..', 'a1/../a1']) assert.equal(labels.peek(id), undefined);
});

test("the spend view's series and the session report name another repository's session once its record is read", async t => {
  const { root, home } = homeIn(t);
  writeSession(home, path.join(root, 'webapp'), 'other1', 'Fix the login form');
  const ledger = await Ledger.open(home.ledgerDir);
  const prices = loadPriceTable();
  const summaries: SpendSummary[] = [];
  const sink: EngineSink = { ...silentSink, spendChanged: s => void summaries.push(s) };
  const spend: SpendService = new SpendService({
    ledger,
    budgets: new BudgetKeeper({ ledger, dir: home.ledgerDir, prices: () => prices }),
    prices: () => prices,
    settings: () => withDefaults({}),
    sink,
    // This host has loaded one session of its own repository; the other is another repository's.
    sessionTitle: id => (id === 'mine' ? 'My session' : undefined),
    sessionsElsewhere: new SessionLabels({ reposDir: home.reposDir, onFound: () => spend.changed() }),
    cacheBreakLossUsd: () => 0,
  });
  t.after(async () => {
    await spend.dispose();
    await ledger.close();
  });
  const now = new Date().toISOString();
  await ledger.append(makeRecord('r1', { ts: now, sessionId: 'mine', costUsd: 0.2, standardCostUsd: 0.2 }));
  await ledger.append(makeRecord('r2', { ts: now, sessionId: 'other1', repo: path.join(root, 'webapp'), costUsd: 0.5, standardCostUsd: 0.5 }));
  await ledger.append(makeRecord('r3', { ts: now, sessionId: 'vanished', costUsd: 0.1, standardCostUsd: 0.1 }));

  const rows = () => spend.series().bySession.map(s => ({ id: s.sessionId, title: s.title, repoName: s.repoName }));
  // The first update shows the id; the record is read in the background and the views are told to ask again.
  assert.deepEqual(rows().find(r => r.id === 'other1'), { id: 'other1', title: 'other1', repoName: undefined });
  await until(() => summaries.some(s => s.topSessions.some(x => x.title === 'Fix the login form')));
  assert.deepEqual(rows(), [
    { id: 'other1', title: 'Fix the login form', repoName: 'webapp' },
    { id: 'mine', title: 'My session', repoName: undefined },
    { id: 'vanished', title: 'vanished', repoName: undefined },
  ]);
  assert.deepEqual(spend.summary().topSessions.find(x => x.sessionId === 'other1'), { sessionId: 'other1', title: 'Fix the login form', repoName: 'webapp', costUsd: 0.5 });

  const report = await spend.report({ by: 'session' });
  assert.deepEqual(report.map(r => [r.key, r.label]), [['other1', 'Fix the login form (webapp)'], ['mine', 'My session'], ['vanished', 'vanished']]);
});

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 5));
  }
}

test("the meter names this repository's sessions by their titles once they are loaded, though it was asked before", async t => {
  const up = await upstream(t);
  const first = await engineFor(t, { up });
  const s = await first.engine.sessions.create({ repo: first.repo, task: 'say hello', title: 'Say hello' }, noProgress);
  await settle(first.engine, s);
  await first.engine.shutdown();

  // A window reloaded: the meter asks for its summary before the repository's sessions are loaded.
  const summaries: SpendSummary[] = [];
  const next = await engineFor(t, { up, home: first.home, repo: first.repo, sink: { ...silentSink, spendChanged: x => void summaries.push(x) } });
  const early = next.engine.spend.summary().topSessions[0];
  assert.ok(early && (early.title === s.id || early.repoName !== undefined), JSON.stringify(early));
  await next.engine.sessions.list(first.repo);
  await until(() => summaries.some(x => x.topSessions[0]?.title === 'Say hello' && x.topSessions[0]?.repoName === undefined));
  assert.deepEqual(summaries.at(-1)!.topSessions[0], { sessionId: s.id, title: 'Say hello', costUsd: summaries.at(-1)!.topSessions[0]!.costUsd });
});
