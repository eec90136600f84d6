// Streamed deltas are for whoever watches a session live: a watched session gets every one, in order, and
// an unwatched one has none made (a fleet streams thousands a second; each was stamped with the clock).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runAgentLoop, type AgentLoopOptions } from '../../src/host/agent/agentLoop';
import { Conversation } from '../../src/host/agent/conversation';
import type { ModelClient, ModelRequest, ModelTurn } from '../../src/host/agent/modelClient';
import type { ToolContext } from '../../src/host/agent/tools/types';
import type { TranscriptEvent } from '../../src/protocol/records';

const PIECES = ['Hel', 'lo ', 'there.'];

/** A model that streams its answer in pieces and ends the turn without calling a tool. */
const streamingModel = {
  async turn(_req: ModelRequest, onDelta: (text: string) => void): Promise<ModelTurn> {
    for (const p of PIECES) onDelta(p);
    return { text: PIECES.join(''), calls: [], status: 'completed' };
  },
} as unknown as ModelClient;

async function run(t: TestContext, watched: (() => boolean) | undefined): Promise<TranscriptEvent[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-loop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conversation = await Conversation.open(path.join(dir, 'conversation.jsonl'));
  const events: TranscriptEvent[] = [];
  const o: AgentLoopOptions = {
    model: streamingModel,
    modelName: 'gpt-5.4',
    instructions: 'Answer.',
    tools: [],
    toolDefs: [],
    conversation,
    // No tool is called: nothing reads the context.
    toolContext: {} as ToolContext,
    maxTurns: 3,
    maxOutputTokens: 1000,
    cacheKey: 'switchyard-test',
    signal: new AbortController().signal,
    emit: e => events.push(e),
    ...(watched ? { watched } : {}),
    onTurn: () => undefined,
    takeNotes: () => [],
    compactAtTokens: Number.POSITIVE_INFINITY,
    onCompacted: () => undefined,
  };
  const outcome = await runAgentLoop(o);
  await conversation.close();
  assert.deepEqual(outcome, { kind: 'finished', summary: 'Hello there.' });
  return events;
}

const deltas = (events: TranscriptEvent[]) => events.flatMap(e => (e.kind === 'assistant-delta' ? [e.delta] : []));

test('a watched session gets every streamed delta, in order, then the whole answer', async t => {
  const events = await run(t, () => true);
  assert.deepEqual(deltas(events), PIECES);
  assert.ok(events.some(e => e.kind === 'assistant' && e.text === 'Hello there.'));
});

test('an unwatched session makes no delta events; its answer is still recorded', async t => {
  const events = await run(t, () => false);
  assert.deepEqual(deltas(events), []);
  assert.ok(events.some(e => e.kind === 'assistant' && e.text === 'Hello there.'));
});

test('a caller that does not say whether it watches gets the deltas', async t => {
  assert.deepEqual(deltas(await run(t, undefined)), PIECES);
});
