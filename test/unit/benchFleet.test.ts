// The fleet benchmark's own parts: how it matches ledger records to notifications, counts the upstream's
// events, splits CPU and reads profiles; and one tiny fleet through the real engine and the bare SDK,
// which must see exactly the same events.
import assert from 'node:assert/strict';
import { createHistogram } from 'node:perf_hooks';
import { test } from 'node:test';
import OpenAI from 'openai';
import { countServerSentEvents, eventsInChunk } from '../../bench/fleet/eventCounter';
import { FreshnessTracker, lagsOf, loopDelayOf } from '../../bench/fleet/freshness';
import { hostRun } from '../../bench/fleet/hostRun';
import { areaOf, originOf, summariseProfile, type CpuProfile } from '../../bench/fleet/profile';
import { parseRunConfig, type RunConfig } from '../../bench/fleet/protocol';
import { medianRound, plausibleSplits, splitCpu, type Pair } from '../../bench/fleet/report';
import { FLEET_SCRIPT, FLEET_TURNS, fleetScripts, fleetTask } from '../../bench/fleet/script';
import { sdkRun } from '../../bench/fleet/sdkRun';
import { startTestUpstream } from '../upstream/server';

const info = (id: string, requests: number) => ({ id, usage: { requests } });

test('freshness: each record is matched to the first notification whose totals include it, timed from its response end', () => {
  const t = new FreshnessTracker(7);
  t.recorded('a', 100, 90);
  t.recorded('a', 110, 105);
  t.recorded('b', 120, 118);
  assert.deepEqual(t.durableLags, [10, 5, 2]);
  t.sessionsShown([info('a', 1), info('zz', 5)], 150);
  assert.deepEqual(t.treeLags, [60]);
  t.sessionsShown([info('a', 2), info('b', 1)], 200);
  assert.deepEqual(t.treeLags, [60, 95, 82]);
  // A repeated notification with the same totals matches nothing again.
  t.sessionsShown([info('a', 2)], 400);
  assert.equal(t.treeLags.length, 3);
  // The meter counts the day's requests, which include the 7 recorded before tracking started.
  t.meterShownAt(8, 300);
  assert.deepEqual(t.meterLags, [210]);
  assert.equal(t.unseen(), 2);
  t.meterShownAt(10, 320);
  assert.deepEqual(t.meterLags, [210, 215, 202]);
  assert.equal(t.unseen(), 0);
});

test('freshness: records shown before they are read from the ledger are timed by the notification that first showed each', () => {
  // The host counts a record when it is metered, before its durable append: the notification comes first.
  const t = new FreshnessTracker(0);
  t.sessionsShown([info('a', 1)], 100);
  t.sessionsShown([info('a', 2)], 150);
  t.meterShownAt(2, 160);
  t.recorded('a', 300, 95);
  t.recorded('a', 310, 151);
  assert.deepEqual(t.treeLags, [5, 0], 'the second was shown at 150, not later; a stamp 1 ms late counts as 0');
  assert.deepEqual(t.meterLags, [65, 9]);
  assert.deepEqual(t.durableLags, [205, 159]);
  assert.equal(t.unseen(), 0);
  // The next record is not shown by the old totals.
  t.recorded('a', 400, 390);
  assert.equal(t.unseen(), 2);
  t.sessionsShown([info('a', 3)], 420);
  assert.deepEqual(t.treeLags, [5, 0, 30]);
});

test('freshness: caughtUp waits for the notification that shows the last record, or says what is missing', async () => {
  const t = new FreshnessTracker(0);
  t.recorded('a', 0, 0);
  const waiting = t.caughtUp(5_000);
  t.sessionsShown([info('a', 1)], 10);
  t.meterShownAt(1, 20);
  await waiting;
  t.recorded('a', 30, 30);
  await assert.rejects(t.caughtUp(20), /2 ledger record\(s\) never reached/);
});

test('freshness: with only the sidebar watched, the meter is not waited for', async () => {
  const t = new FreshnessTracker(0);
  t.recorded('a', 0, 0);
  t.sessionsShown([info('a', 1)], 10);
  assert.equal(t.unseen('sidebar'), 0);
  assert.equal(t.unseen(), 1);
  await t.caughtUp(5_000, 'sidebar');
});

test('loop delay: the timer interval Node includes in each sample is taken off', () => {
  const h = createHistogram();
  for (const ms of [5.1, 5.2, 5.3, 30]) h.record(Math.round(ms * 1e6));
  const d = loopDelayOf(h, 5);
  assert.equal(d.count, 4);
  assert.ok(Math.abs(d.p50 - 0.2) < 0.05, `p50 ${d.p50}`);
  assert.ok(Math.abs(d.max - 25) < 0.1, `max ${d.max}`);
  assert.equal(loopDelayOf(h, 50).p50, 0, 'never negative');
});

test('lags: percentiles and max, NaN when nothing was measured', () => {
  const l = lagsOf(Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual(l, { count: 100, p50: 50, p99: 99, max: 100 });
  assert.ok(Number.isNaN(lagsOf([]).p99));
});

test('events in a chunk: one per data line, whatever the chunk holds', () => {
  assert.equal(eventsInChunk('event: response.created\ndata: {"a":1}\n\n'), 1);
  assert.equal(eventsInChunk(Buffer.from('data: {"x":"data: no"}\n\ndata: [DONE]\n\n')), 2);
  assert.equal(eventsInChunk('{"json":"data: body"}'), 0);
  assert.equal(eventsInChunk(undefined), 0);
});

test('the upstream event counter sees exactly the events the SDK receives, and uninstalls', async t => {
  const counter = countServerSentEvents();
  t.after(() => counter.uninstall());
  const up = await startTestUpstream({ scripts: fleetScripts(12) });
  t.after(() => up.close());
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: up.url, maxRetries: 0 });
  const stream = await client.responses.create({ model: 'gpt-5.4', input: fleetTask(FLEET_SCRIPT, 1), stream: true });
  let received = 0;
  for await (const _ of stream) received++;
  assert.ok(received > 12, `a turn of 12 words streams more than 12 events (got ${received})`);
  assert.equal(counter.count, received);
  await client.models.list();
  assert.equal(counter.count, received, 'JSON answers are not counted');
  counter.uninstall();
  for await (const _ of await client.responses.create({ model: 'gpt-5.4', input: fleetTask(FLEET_SCRIPT, 2), stream: true }));
  assert.equal(counter.count, received, 'nothing is counted once uninstalled');
});

test('CPU split: two runs that differ only in events give the cost per event and per turn', () => {
  const split = splitCpu({ cpuUs: 50_000, events: 2_000 }, { cpuUs: 20_000, events: 500 }, 10);
  assert.deepEqual(split, { perEventUs: 20, perTurnMs: 1 });
  assert.equal(splitCpu({ cpuUs: 1, events: 5 }, { cpuUs: 1, events: 5 }, 10), undefined);
});

test('CPU split: a split noise made up (a negative part, an event that costs nothing) is not reported', () => {
  const sdk = { perEventUs: 200, perTurnMs: 6 };
  assert.deepEqual(plausibleSplits({ perEventUs: 250, perTurnMs: 30 }, sdk), [{ perEventUs: 250, perTurnMs: 30 }, sdk]);
  assert.deepEqual(plausibleSplits({ perEventUs: 180, perTurnMs: 30 }, sdk), [{ perEventUs: 180, perTurnMs: 30 }, sdk], 'the host may read events more cheaply than the SDK');
  assert.equal(plausibleSplits({ perEventUs: -3, perTurnMs: 50 }, sdk), undefined);
  assert.equal(plausibleSplits({ perEventUs: 300, perTurnMs: -2 }, sdk), undefined);
  assert.equal(plausibleSplits({ perEventUs: 300, perTurnMs: 20 }, { perEventUs: -5, perTurnMs: 9 }), undefined);
  assert.equal(plausibleSplits(undefined, sdk), undefined);
});

/** A profile's call frame, for the hand-built profiles below. */
const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

test('profile summary: busy time by area and function, idle left out', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)') },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('spawn', 'node:internal/child_process') },
      { id: 4, callFrame: frame('iterSSEChunks', 'file:///x/node_modules/openai/core/streaming.js') },
      { id: 5, callFrame: frame('push', 'file:///x/out/bench/fleet/hostChild.js') },
    ],
    samples: [2, 2, 2, 2, 3, 3, 4, 5],
  };
  const s = summariseProfile(profile);
  assert.equal(s.busySamples, 4);
  assert.deepEqual(s.areas.map(a => [a.name, a.pct]), [['starting child processes (git, sandbox)', 50], ['openai SDK', 25], ['Switchyard (bundled src/host)', 25]]);
  assert.equal(s.functions[0]!.name, 'spawn node:internal/child_process:1');
  assert.equal(areaOf('', '(garbage collector)'), 'garbage collection');
  assert.equal(areaOf('node:internal/deps/undici/undici', 'onData'), 'fetch (undici)');
  assert.equal(s.origins, undefined, 'no call tree, no attribution');
});

test('profile summary: native work counts for the nearest extension that called it', () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 6, 8] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('refresh', 'file:///srv/lib/vscode/extensions/git/dist/main.js'), children: [4] },
      { id: 4, callFrame: frame('exec', 'node:child_process'), children: [5] },
      { id: 5, callFrame: frame('spawn') },
      { id: 6, callFrame: frame('onNotification', 'file:///ext/dist/extension.js'), children: [7] },
      { id: 7, callFrame: frame('write') },
      { id: 8, callFrame: frame('(garbage collector)') },
    ],
    samples: [2, 5, 5, 5, 7, 8, 3, 2],
  };
  const s = summariseProfile(profile);
  assert.deepEqual(s.origins?.map(o => [o.name, o.pct.toFixed(1)]), [
    ['another extension (git)', '66.7'],
    ['Switchyard extension', '16.7'],
    ['no extension on the stack (VS Code itself, GC, timers)', '16.7'],
  ]);
  assert.equal(originOf('file:///x/out/test/benchSuite/fleet.test.js'), 'benchmark suite (measuring)');
  assert.equal(originOf('node:internal/streams/writable'), undefined);
  assert.equal(originOf('file:///srv/lib/vscode/extensions/typescript-language-features/dist/extension.js'), 'another extension (typescript-language-features)');
  assert.equal(originOf('file:///home/u/.vscode/extensions/switchyard.switchyard-0.1.0/dist/extension.js'), 'Switchyard extension');
  assert.equal(areaOf('file:///srv/lib/vscode/extensions/git/dist/main.js', 'refresh'), 'another extension (git)');
});

test("profile summary: a native write under zlib is compression, a spawn under VS Code's port finder is its own", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3, 6, 9] },
      { id: 2, callFrame: frame('(idle)') },
      { id: 3, callFrame: frame('ZlibBase._transform', 'node:zlib'), children: [4] },
      { id: 4, callFrame: frame('processChunk', 'node:zlib'), children: [5] },
      { id: 5, callFrame: frame('write') },
      { id: 6, callFrame: frame('findCandidatePorts', 'file:///srv/out/vs/workbench/api/node/extensionHostProcess.js'), children: [7] },
      { id: 7, callFrame: frame('exec', 'node:child_process'), children: [8] },
      { id: 8, callFrame: frame('spawn') },
      { id: 9, callFrame: frame('send', 'file:///ext/dist/extension.js'), children: [10] },
      { id: 10, callFrame: frame('write') },
    ],
    samples: [2, 5, 5, 8, 10],
  };
  assert.deepEqual(summariseProfile(profile).areas.map(a => [a.name, a.pct]), [
    ['compressing messages to the window (zlib)', 50],
    ["VS Code's port finder (remote port forwarding)", 25],
    ['native write', 25],
  ]);
});

test('run configurations are checked before anything starts', () => {
  const good: RunConfig = { sessions: 2, script: FLEET_SCRIPT, upstreamUrl: 'http://127.0.0.1:1/v1', warmup: 0, timeoutMs: 1000 };
  assert.deepEqual(parseRunConfig(JSON.stringify(good)), good);
  assert.throws(() => parseRunConfig(undefined), /expected a JSON run configuration/);
  assert.throws(() => parseRunConfig(JSON.stringify({ ...good, sessions: 0 })), /bad run configuration/);
  assert.throws(() => parseRunConfig(JSON.stringify({ ...good, script: 'nope' })), /unknown script nope/);
});

test('a tiny fleet: the engine finishes every session, notifies in batches, and streams the same events as the bare SDK', async t => {
  const counter = countServerSentEvents();
  t.after(() => counter.uninstall());
  const up = await startTestUpstream({ scripts: fleetScripts(8) });
  t.after(() => up.close());
  const config: RunConfig = { sessions: 2, script: FLEET_SCRIPT, upstreamUrl: up.url, warmup: 1, timeoutMs: 60_000 };
  const events = async () => counter.count;

  const host = await hostRun(config, events);
  assert.equal(host.done, 2, host.problems.join('; '));
  assert.equal(host.requests, 2 * FLEET_TURNS);
  assert.ok(host.cpuUs > 0 && host.seconds > 0 && host.rssPeakMb >= host.rssBaselineMb * 0.5);
  assert.equal(host.treeLag.count, 2 * FLEET_TURNS, 'every record reached the sidebar');
  assert.equal(host.meterLag.count, 2 * FLEET_TURNS, 'every record reached the meter');
  assert.ok(host.sessionsChangedCalls >= 1 && host.sessionEntries >= 2);

  const sdk = await sdkRun(config, events);
  assert.equal(sdk.streams, 2 * FLEET_TURNS);
  assert.ok(host.events > 2 * FLEET_TURNS * 8);
  assert.equal(sdk.events, host.events, 'the floor parses exactly the events the host streamed');
});

test('rounds at one size: the median round by host / floor ratio is kept whole, with every round\'s ratio', () => {
  const round = (hostUs: number, sdkUs: number) => ({ host: { cpuUs: hostUs, events: 100, sessions: 10 }, sdk: { cpuUs: sdkUs, events: 100 } }) as unknown as Pair;
  const rounds = [round(150, 100), round(120, 100), round(200, 100)];
  const kept = medianRound(rounds);
  assert.equal(kept.host, rounds[0]!.host, 'the median round, host and floor of the same round');
  assert.equal(kept.sdk, rounds[0]!.sdk);
  assert.deepEqual(kept.roundRatios, [1.5, 1.2, 2], 'in the order they ran');
  // An even count keeps the lower middle: the figure is one a run really read.
  const two = [round(150, 100), round(120, 100)];
  assert.equal(medianRound(two).host, two[1]!.host);
  assert.equal(medianRound([round(150, 100)]).roundRatios, undefined, 'one round has no list');
});
