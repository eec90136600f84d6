import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TranscriptEvent } from '../../src/protocol/records';
import { ItemWindow } from '../../src/webview/transcript/itemWindow';
import { TranscriptModel } from '../../src/webview/transcript/transcriptModel';

const ts = '2026-11-21T09:00:00.000Z';
const notice = (text: string): TranscriptEvent => ({ kind: 'notice', ts, level: 'info', text });
const notices = (n: number) => Array.from({ length: n }, (_, i) => notice(`n${i}`));

function setup(n: number, keep: number) {
  const model = new TranscriptModel();
  const win = new ItemWindow();
  win.apply(model.apply(notices(n)));
  win.keepNewest(keep);
  return { model, win };
}

test('keepNewest renders only the tail; reveal brings earlier items back above it, oldest first', () => {
  const { win } = setup(10, 3);
  assert.deepEqual(win.rendered(), [8, 9, 10]);
  assert.equal(win.hiddenCount, 7);
  assert.deepEqual(win.reveal(4), { op: 'prepend', ids: [4, 5, 6, 7] });
  assert.deepEqual(win.reveal(100), { op: 'prepend', ids: [1, 2, 3] });
  assert.equal(win.reveal(5), null);
  assert.equal(win.renderedCount, 10);
});

test('trim takes the oldest rendered items off the page', () => {
  const { win } = setup(10, 10);
  assert.deepEqual(win.trim(6), [1, 2, 3, 4]);
  assert.deepEqual(win.trim(6), []);
  assert.deepEqual(win.rendered(), [5, 6, 7, 8, 9, 10]);
});

test('appends always reach the page; changes to hidden items stay off it', () => {
  const { model, win } = setup(0, 0);
  // A tool call, many notices, then the call's result: the call is hidden by then.
  const ops1 = win.apply(model.apply([{ kind: 'tool-call', ts, turn: 1, callId: 'c', name: 'x', args: '{}' }, ...notices(5)]));
  assert.equal(ops1.length, 6);
  win.keepNewest(2);
  const ops2 = win.apply(model.apply([{ kind: 'tool-result', ts, turn: 1, callId: 'c', output: 'ok', ok: true }, notice('new')]));
  assert.deepEqual(ops2, [{ op: 'append', id: 7 }], 'the update of the hidden call is not a page operation');
  // Revealed later, it is rendered from the model, which has the result.
  const reveal = win.reveal(10);
  assert.deepEqual(reveal, { op: 'prepend', ids: [1, 2, 3, 4] });
  const call = model.get(1);
  assert.ok(call?.kind === 'tool' && call.result?.output === 'ok');
});

test('streaming: usage goes before the typing item, the answer replaces it, updates reach the page', () => {
  const { model, win } = setup(5, 2);
  const ops = win.apply(model.apply([
    { kind: 'assistant-delta', ts, turn: 1, delta: 'He' },
    { kind: 'assistant-delta', ts, turn: 1, delta: 'llo' },
    { kind: 'usage', ts, turn: 0, cachedShare: 0.5, record: { id: 'r', ts, sessionId: 's', repo: '', role: 'r', model: 'm', requestedTier: 'standard', servedTier: 'standard', input: 1, cached: 0, cacheWrite: 0, output: 1, reasoning: 0, costUsd: 0, standardCostUsd: 0, latencyMs: 1, endpoint: 'responses' } },
    { kind: 'assistant', ts, turn: 1, text: 'Hello' },
  ]));
  assert.deepEqual(ops, [
    { op: 'append', id: 6 },
    { op: 'update', id: 6 },
    { op: 'insertBefore', id: 7, before: 6 },
    { op: 'replace', id: 8, old: 6 },
  ]);
  assert.deepEqual(win.rendered(), [4, 5, 7, 8]);
});

test('removing and inserting inside the hidden part keeps the counts right', () => {
  const model = new TranscriptModel();
  const win = new ItemWindow();
  // An interrupted partial answer (turn 1), then 4 notices; the answer of turn 1 arrives after the partial is hidden.
  win.apply(model.apply([{ kind: 'assistant-delta', ts, turn: 1, delta: 'part' }, { kind: 'notice', ts, level: 'warning', text: 'Cut (the partial answer was discarded); retrying in 1 s.' }, ...notices(3)]));
  win.keepNewest(2);
  assert.equal(win.hiddenCount, 3);
  const ops = win.apply(model.apply([{ kind: 'assistant', ts, turn: 1, text: 'full' }]));
  assert.deepEqual(ops, [{ op: 'append', id: 6 }], 'the hidden partial answer is removed without a page operation');
  assert.equal(win.hiddenCount, 2);
  assert.equal(win.total, 5);
  assert.deepEqual(win.reveal(10), { op: 'prepend', ids: [2, 3] });
});
