import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TranscriptEvent, UsageRecord } from '../../src/protocol/records';
import { type Change, type Item, TranscriptModel } from '../../src/webview/transcript/transcriptModel';

const ts = '2026-11-21T09:00:00.000Z';

function record(): UsageRecord {
  return {
    id: 'r', ts, sessionId: 's', repo: '/r', role: 'coder', model: 'gpt-5.4', requestedTier: 'standard', servedTier: 'standard',
    input: 2000, cached: 1536, cacheWrite: 0, output: 100, reasoning: 0, costUsd: 0.001, standardCostUsd: 0.001, latencyMs: 900, endpoint: 'responses',
  };
}

const delta = (turn: number, d: string): TranscriptEvent => ({ kind: 'assistant-delta', ts, turn, delta: d });
const answer = (turn: number, text: string): TranscriptEvent => ({ kind: 'assistant', ts, turn, text });
const usage = (turn: number): TranscriptEvent => ({ kind: 'usage', ts, turn, record: record(), cachedShare: 0.768 });

/** Replays changes onto a plain list of ids, as the page would, and returns what the page shows. */
class Page {
  ids: number[] = [];
  constructor(private readonly model: TranscriptModel) {}
  apply(changes: Change[]): this {
    for (const c of changes) {
      if (c.op === 'append') this.ids.push(c.item.id);
      else if (c.op === 'insertBefore') {
        const at = this.ids.indexOf(c.before);
        assert.ok(at >= 0, `insertBefore a missing item ${c.before}`);
        this.ids.splice(at, 0, c.item.id);
      } else if (c.op === 'replace') {
        const at = this.ids.indexOf(c.id);
        assert.ok(at >= 0, `replace of a missing item ${c.id}`);
        this.ids[at] = c.item.id;
      } else if (c.op === 'remove') this.ids = this.ids.filter(id => id !== c.id);
      else assert.ok(this.ids.includes(c.item.id), `update of a missing item ${c.item.id}`);
    }
    return this;
  }
  get items(): Item[] {
    return this.ids.map(id => this.model.get(id)!);
  }
  get kinds(): string[] {
    return this.items.map(i => i.kind);
  }
}

test('streamed deltas grow one typing item that the final answer replaces in place', () => {
  const m = new TranscriptModel();
  const page = new Page(m);
  page.apply(m.apply([{ kind: 'user', ts, text: 'do it' }, delta(1, 'Hel'), delta(1, 'lo')]));
  assert.deepEqual(page.kinds, ['user', 'typing']);
  assert.equal((page.items[1] as Extract<Item, { kind: 'typing' }>).text, 'Hello');
  page.apply(m.apply([answer(1, 'Hello, world')]));
  assert.deepEqual(page.kinds, ['user', 'assistant']);
  assert.equal((page.items[1] as Extract<Item, { kind: 'assistant' }>).text, 'Hello, world');
  assert.equal(m.size, 2, 'the typing item is gone from the model too');
});

test('usage arriving mid-stream goes before the typing item, so live and reloaded pages agree', () => {
  const live = new TranscriptModel();
  const livePage = new Page(live);
  livePage.apply(live.apply([delta(1, 'Hi')]));
  livePage.apply(live.apply([usage(0), { kind: 'cache-break', ts, turn: 0, reason: 'tools changed', segment: 'tools', lostUsd: 0.01 }]));
  livePage.apply(live.apply([answer(1, 'Hi there')]));
  const saved = new TranscriptModel();
  const savedPage = new Page(saved).apply(saved.apply([usage(0), { kind: 'cache-break', ts, turn: 0, reason: 'tools changed', segment: 'tools', lostUsd: 0.01 }, answer(1, 'Hi there')]));
  assert.deepEqual(livePage.kinds, ['usage', 'cache-break', 'assistant']);
  assert.deepEqual(livePage.kinds, savedPage.kinds);
});

test('a retry notice interrupts the partial answer; the final answer removes it', () => {
  const m = new TranscriptModel();
  const page = new Page(m);
  page.apply(m.apply([delta(3, 'partial'), { kind: 'notice', ts, level: 'warning', text: 'Server error (the partial answer was discarded); retrying in 2 s.' }]));
  assert.deepEqual(page.kinds, ['typing', 'notice']);
  assert.equal((page.items[0] as Extract<Item, { kind: 'typing' }>).interrupted, true);
  page.apply(m.apply([delta(3, 'second try')]));
  assert.deepEqual(page.kinds, ['typing', 'notice', 'typing'], 'a new attempt streams into a new item');
  page.apply(m.apply([answer(3, 'second try, complete')]));
  assert.deepEqual(page.kinds, ['notice', 'assistant']);
});

test('a word said while the answer streams on (a tier changed) goes above it and cuts nothing', () => {
  const m = new TranscriptModel();
  const page = new Page(m);
  page.apply(m.apply([delta(4, 'A fourth slow turn'), { kind: 'notice', ts, level: 'info', text: 'Tier changed from standard to priority: from its next request.' }]));
  assert.deepEqual(page.kinds, ['notice', 'typing']);
  assert.equal((page.items[1] as Extract<Item, { kind: 'typing' }>).interrupted, false);
  page.apply(m.apply([delta(4, ' before')]));
  assert.deepEqual(page.kinds, ['notice', 'typing'], 'the same stream goes on in the same item');
  assert.equal((page.items[1] as Extract<Item, { kind: 'typing' }>).text, 'A fourth slow turn before');
});

test('a pause cuts the stream: the typing item stays, marked interrupted', () => {
  const m = new TranscriptModel();
  const page = new Page(m);
  page.apply(m.apply([delta(2, 'abc'), { kind: 'status', ts, status: 'running' }]));
  assert.equal((page.items[0] as Extract<Item, { kind: 'typing' }>).interrupted, false, 'running does not cut a stream');
  page.apply(m.apply([{ kind: 'status', ts, status: 'paused', reason: 'by you' }]));
  assert.deepEqual(page.kinds, ['typing', 'status', 'status']);
  assert.equal((page.items[0] as Extract<Item, { kind: 'typing' }>).interrupted, true);
  page.apply(m.apply([delta(2, 'more')]));
  assert.equal(page.items.filter(i => i.kind === 'typing').length, 2);
});

test('deltas of a new turn interrupt a typing item of an older turn that never got its answer', () => {
  const m = new TranscriptModel();
  const page = new Page(m).apply(m.apply([delta(1, 'a'), delta(2, 'b')]));
  const [first, second] = page.items as Extract<Item, { kind: 'typing' }>[];
  assert.equal(first!.interrupted, true);
  assert.equal(second!.interrupted, false);
  assert.equal(second!.text, 'b');
});

test('tool results pair with their call by id; unmatched results stand alone', () => {
  const m = new TranscriptModel();
  const page = new Page(m);
  const changes = m.apply([
    { kind: 'tool-call', ts, turn: 1, callId: 'c1', name: 'read_file', args: '{"path":"a.ts"}' },
    { kind: 'tool-call', ts, turn: 1, callId: 'c2', name: 'run_command', args: '{"command":"npm test"}' },
    { kind: 'tool-result', ts, turn: 1, callId: 'c2', output: 'FAIL', ok: false },
    { kind: 'tool-result', ts, turn: 1, callId: 'c1', output: 'text', ok: true },
    { kind: 'tool-result', ts, turn: 1, callId: 'orphan', output: 'late', ok: true },
  ]);
  page.apply(changes);
  const tools = page.items as Extract<Item, { kind: 'tool' }>[];
  assert.deepEqual(tools.map(t => [t.callId, t.name, t.result?.ok, t.result?.output]), [
    ['c1', 'read_file', true, 'text'],
    ['c2', 'run_command', false, 'FAIL'],
    ['orphan', null, true, 'late'],
  ]);
  assert.deepEqual(changes.map(c => c.op), ['append', 'append', 'update', 'update', 'append']);
  // A second result for an already answered call is not merged into it.
  page.apply(m.apply([{ kind: 'tool-result', ts, turn: 1, callId: 'c1', output: 'again', ok: true }]));
  assert.equal(page.items.length, 4);
});

test('appends touch only what they add: 5,000 events in, then one more costs one change', () => {
  const m = new TranscriptModel();
  const events: TranscriptEvent[] = [];
  for (let t = 1; t <= 1000; t++) {
    events.push(usage(t - 1), answer(t, `turn ${t}`), { kind: 'tool-call', ts, turn: t, callId: `c${t}`, name: 'x', args: '{}' }, { kind: 'tool-result', ts, turn: t, callId: `c${t}`, output: 'ok', ok: true }, { kind: 'notice', ts, level: 'info', text: 'n' });
  }
  const page = new Page(m).apply(m.apply(events));
  assert.equal(page.ids.length, 4000);
  assert.deepEqual(m.apply([{ kind: 'notice', ts, level: 'info', text: 'one more' }]).map(c => c.op), ['append']);
});

test('an event of an unknown kind (a newer host) becomes a notice instead of breaking the page', () => {
  const m = new TranscriptModel();
  const page = new Page(m).apply(m.apply([{ kind: 'telepathy', ts } as unknown as TranscriptEvent]));
  assert.deepEqual(page.kinds, ['notice']);
  assert.match((page.items[0] as Extract<Item, { kind: 'notice' }>).text, /telepathy/);
});

test('a call left without a result when the run stops, or when a later turn starts, stops showing as running', () => {
  const m = new TranscriptModel();
  const page = new Page(m).apply(m.apply([
    { kind: 'tool-call', ts, turn: 4, callId: 'a', name: 'run_command', args: '{}' },
    { kind: 'status', ts, status: 'failed', reason: 'host crashed' },
    { kind: 'tool-call', ts, turn: 5, callId: 'b', name: 'run_command', args: '{}' },
    delta(6, 'next turn'),
  ]));
  const [a, , b] = page.items as Extract<Item, { kind: 'tool' }>[];
  assert.equal(a!.unanswered, true);
  assert.equal(b!.unanswered, true);
  // A call of the turn being streamed is still running.
  page.apply(m.apply([{ kind: 'tool-call', ts, turn: 6, callId: 'c', name: 'read_file', args: '{}' }, delta(6, '…')]));
  const c = page.items.find(i => i.kind === 'tool' && i.callId === 'c') as Extract<Item, { kind: 'tool' }>;
  assert.equal(c.unanswered, false);
  // A late result still lands on its call.
  page.apply(m.apply([{ kind: 'tool-result', ts, turn: 5, callId: 'b', output: 'done', ok: true }]));
  assert.equal(b!.unanswered, false);
  assert.equal(b!.result?.output, 'done');
});

test("a command agent's output keeps its stream, so stderr is tagged as such and not shown as a warning", () => {
  const m = new TranscriptModel();
  const out = m.apply([
    { kind: 'notice', ts, level: 'info', text: 'building', stream: 'stdout' },
    { kind: 'notice', ts, level: 'info', text: 'npm notice: 3 packages', stream: 'stderr' },
  ]);
  const items = out.flatMap(c => (c.op === 'append' ? [c.item] : []));
  assert.deepEqual(items.map(i => i.kind === 'notice' && [i.level, i.stream]), [['info', 'stdout'], ['info', 'stderr']]);
});

test('a command waiting for approval: the waiting and running lines go above it, and its result comes below the answer', () => {
  const m = new TranscriptModel();
  const page = new Page(m);
  const call: TranscriptEvent = { kind: 'tool-call', ts, turn: 1, callId: 'c1', name: 'run_command', args: '{"command":"ls"}' };
  page.apply(m.apply([call, { kind: 'status', ts, status: 'waiting', reason: 'Waiting for your approval to run a command.' }]));
  assert.deepEqual(page.items.map(i => (i.kind === 'status' ? i.status : i.kind)), ['waiting', 'tool']);
  const ranAt = '2026-11-21T09:03:00.000Z';
  page.apply(m.apply([{ kind: 'status', ts: ranAt, status: 'running' }, { kind: 'tool-result', ts: ranAt, turn: 1, callId: 'c1', output: 'a\nb', ok: true }]));
  assert.deepEqual(page.items.map(i => (i.kind === 'status' ? i.status : i.kind)), ['waiting', 'running', 'tool']);
  assert.equal(page.items[2]!.ts, ranAt, 'below the answer, the command shows when it ran, not when it was asked');
  // The result is in: a status after it goes below, as any other.
  page.apply(m.apply([{ kind: 'status', ts, status: 'done' }]));
  assert.deepEqual(page.items.map(i => (i.kind === 'status' ? i.status : i.kind)), ['waiting', 'running', 'tool', 'done']);
  // Read back from the file in one go, the page is the same.
  const saved = new TranscriptModel();
  const savedPage = new Page(saved).apply(saved.apply([call, { kind: 'status', ts, status: 'waiting' }, { kind: 'status', ts, status: 'running' }, { kind: 'tool-result', ts, turn: 1, callId: 'c1', output: 'a\nb', ok: true }, { kind: 'status', ts, status: 'done' }]));
  assert.deepEqual(savedPage.kinds, page.kinds);
});

test('the cost of the request a pause cut, counted after the pause was said, shows above the Paused line, live and reloaded', () => {
  const events: TranscriptEvent[] = [
    { kind: 'user', ts, text: 'do it' },
    delta(1, 'Work'),
    { kind: 'status', ts, status: 'paused', reason: 'Paused by the user.' },
    usage(1),
    { kind: 'cache-break', ts, turn: 1, reason: 'tier changed', segment: 'tier', lostUsd: 0.001 },
  ];
  for (const batches of [events.map(e => [e]), [events]]) {
    const m = new TranscriptModel();
    const page = new Page(m);
    for (const b of batches) page.apply(m.apply(b));
    assert.deepEqual(page.kinds, ['user', 'typing', 'usage', 'cache-break', 'status']);
    // What comes after it (a resume) goes below, as any item.
    page.apply(m.apply([{ kind: 'status', ts, status: 'running' }, usage(2)]));
    assert.deepEqual(page.kinds, ['user', 'typing', 'usage', 'cache-break', 'status', 'status', 'usage']);
  }
  // A paused session's page with something said after the pause (a notice) keeps a later cost in order.
  const m = new TranscriptModel();
  const page = new Page(m);
  page.apply(m.apply([{ kind: 'status', ts, status: 'stopped' }, { kind: 'notice', ts, level: 'warning', text: 'x' }, usage(1)]));
  assert.deepEqual(page.kinds, ['status', 'notice', 'usage']);
});
