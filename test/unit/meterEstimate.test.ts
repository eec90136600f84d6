// What a request is charged when its usage never arrived (a cut stream, or a process that died mid-request).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { estimatedUsage } from '../../src/host/gateway/meter';
import type { UsageRecord } from '../../src/protocol/records';
import { engineFor, noProgress, until, upstream } from './helpers/engineKit';

test('an estimate counts the input as sent, uncached, the text seen and the reasoning the session tends to spend', () => {
  const u = estimatedUsage({ requestBytes: 4000, streamedChars: 400, lastReasoning: 500, maxOutputTokens: 8192 });
  assert.deepEqual(u, { input: 1000, cached: 0, cacheWrite: 0, output: 100 + 500, reasoning: 500 });
  assert.equal(estimatedUsage({ requestBytes: 4000, streamedChars: 0, lastReasoning: undefined, maxOutputTokens: 8192 }).output, 0);
});

test('an estimate never charges more output than the request allowed (a cap shrunk to fit a budget)', () => {
  const u = estimatedUsage({ requestBytes: 40_000, streamedChars: 2000, lastReasoning: 8000, maxOutputTokens: 256 });
  assert.equal(u.reasoning, 256);
  assert.equal(u.output, 256);
  assert.ok(u.reasoning <= u.output);
});

test('an estimate counts as cached what the last complete response found cached, for a request that only appended to it', () => {
  const u = estimatedUsage({ requestBytes: 40_000, streamedChars: 400, lastReasoning: 0, maxOutputTokens: 8192, likelyCached: 8960 });
  assert.deepEqual({ input: u.input, cached: u.cached }, { input: 10_000, cached: 8960 });
  assert.equal(estimatedUsage({ requestBytes: 4000, streamedChars: 0, lastReasoning: 0, maxOutputTokens: 8192, likelyCached: 8960 }).cached, 1000, 'never more than its input');
});

test('a pause mid-answer in a well-cached session is not charged as if nothing were cached', async t => {
  const story = { steps: [
    { calls: [{ name: 'read_file', arguments: { path: 'README.md' } }] },
    { calls: [{ name: 'list_files', arguments: {} }] },
    { text: `Here is the plan: ${Array.from({ length: 300 }, (_, i) => `step${i}`).join(' ')}.` },
  ] };
  const up = await upstream(t, { scripts: { story } });
  up.setFaults([{ match: { nth: 3 }, eventDelayMs: 40 }]);
  const { engine, repo } = await engineFor(t, { up, headless: false });
  const s = await engine.sessions.create({ repo, task: '[script:story] plan it', title: 'Cut' }, noProgress);
  await until('the third answer to stream', () => up.requests.length === 3);
  await sleep(400);
  await engine.sessions.pause(s.id);
  const metered = async () => (await engine.sessions.transcript(s.id, 0)).events.flatMap(e => (e.kind === 'usage' ? [e.record] : []));
  let records = await metered();
  for (const deadline = Date.now() + 10_000; records.length < 3 && Date.now() < deadline; await sleep(50)) records = await metered();
  assert.equal(records.length, 3, JSON.stringify(records));
  const [, second, cut] = records as [UsageRecord, UsageRecord, UsageRecord];
  assert.ok(second.cached > 0 && !second.estimated, 'the second request found the first one cached');
  assert.equal(cut.estimated, true);
  assert.equal(cut.cached, Math.min(second.cached, cut.input), 'what the request before it found cached, at least');
});
