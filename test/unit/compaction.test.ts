// Long sessions compact in one recorded step: older turns are summarised, the conversation is rewritten
// once, and the next request's cache miss is recorded as a planned reset, not a silent break.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compacted, compactionThreshold } from '../../src/host/agent/compaction';
import { contextWindow } from '../../src/host/pricing/contextWindows';
import { Conversation, type ConversationItem } from '../../src/host/agent/conversation';
import { engineFor, noProgress, settle, upstream } from './helpers/engineKit';

test('the threshold is 80% of the model window unless set', () => {
  assert.equal(compactionThreshold('gpt-5.4', 0), Math.floor(contextWindow('gpt-5.4') * 0.8));
  assert.equal(compactionThreshold('some-local-model', 0), Math.floor(128_000 * 0.8));
  assert.equal(compactionThreshold('gpt-5.4', 5000), 5000);
});

test('the compacted conversation keeps the task, the summary and recent items, never splitting a call from its output', () => {
  const items: ConversationItem[] = [{ type: 'message', role: 'user', content: 'task' }];
  for (let i = 0; i < 10; i++) {
    items.push({ type: 'function_call', call_id: `c${i}`, name: 'read_file', arguments: '{}' });
    items.push({ type: 'function_call_output', call_id: `c${i}`, output: 'x' });
  }
  const out = compacted(items, 'what happened');
  assert.deepEqual(out[0], items[0]);
  assert.match(JSON.stringify(out[1]), /what happened/);
  assert.equal(out[2].type, 'function_call', 'recent items start at a call, not at an orphaned output');
  assert.ok(out.length < items.length);
});

test('the conversation keeps its JSON size as items are added, replaced and read back', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-conv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'conversation.jsonl');
  const size = (items: readonly ConversationItem[]) => items.reduce((n, i) => n + Buffer.byteLength(JSON.stringify(i)), 0);
  const c = await Conversation.open(file);
  assert.equal(c.jsonBytes, 0);
  await c.append({ type: 'message', role: 'user', content: 'Fix the parser: “quotes”, ünïcode and a \n newline' });
  c.queue({ type: 'function_call', call_id: 'c1', name: 'read_file', arguments: '{"path":"src/a.ts"}' }, { type: 'function_call_output', call_id: 'c1', output: 'x'.repeat(300) });
  assert.equal(c.jsonBytes, size(c.all));
  await c.close();
  const reread = await Conversation.open(file);
  assert.equal(reread.jsonBytes, size(c.all), 'read back from disk, the same size');
  await reread.replace(compacted(reread.all, 'what happened'));
  assert.equal(reread.jsonBytes, size(reread.all), 'after a compaction');
  await reread.append();
  assert.equal(reread.jsonBytes, size(reread.all), 'appending nothing adds nothing');
  await reread.close();
});

test('a line torn by a crash mid-append is dropped from the file too, so later appends stay readable', async t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-conv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'conversation.jsonl');
  const first = await Conversation.open(file);
  await first.append({ type: 'message', role: 'user', content: 'task' });
  await first.close();
  appendFileSync(file, '{"type":"function_call","call_id":"c1","na');
  const resumed = await Conversation.open(file);
  assert.equal(resumed.length, 1, 'the unacknowledged item is not read');
  await resumed.append({ type: 'function_call_output', call_id: 'c0', output: 'after the crash' });
  await resumed.close();
  const again = await Conversation.open(file);
  assert.deepEqual(again.all.map(i => i.type), ['message', 'function_call_output']);
  assert.equal(readFileSync(file, 'utf8').split('\n').length, 3, 'two whole lines and the final newline');
});

test('a long session compacts once the prompt nears the limit and records it as a cache reset', async t => {
  const big = 'The build log shows the same warning about deprecated options on every line. '.repeat(25);
  const up = await upstream(t, {
    scripts: { long: { repeatLast: true, steps: [{ text: 'Progress so far: checked one more module.', calls: [{ name: 'write_file', arguments: { path: 'log-{{turn}}.txt', content: big } }] }] } },
  });
  const { engine, repo } = await engineFor(t, { up, settings: { compactAtTokens: 3000 } });
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:long] keep going', title: 'Long', maxTurns: 8 }, noProgress));
  const events = (await engine.sessions.transcript(s.id, 0)).events;
  assert.ok(events.some(e => e.kind === 'notice' && /Compacted the conversation/.test(e.text)), 'compaction happened');
  const reset = events.find(e => e.kind === 'cache-break');
  assert.ok(reset && reset.kind === 'cache-break' && /compaction/.test(reset.reason), 'recorded as a cache reset');
  const conversation = readFileSync(engine.sessions.get(s.id).paths.conversation, 'utf8');
  assert.match(conversation, /Summary of the earlier part of this session/);
  // The summary request itself went through the gateway and was metered.
  const summaryRequests = up.requests.filter(r => JSON.stringify(r.body).includes('compact this conversation'));
  assert.ok(summaryRequests.length >= 1);
  assert.equal(s.usage.requests, up.requests.length);
});
