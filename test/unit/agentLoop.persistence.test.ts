// What the turn loop writes to the conversation, and when: a call that may change something is on disk
// before its tool runs (after a crash it is answered as interrupted, never run twice); a call that only
// reads may be written meanwhile; a finished session has every item on disk; a failed write stops the loop.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runAgentLoop, type AgentLoopOptions } from '../../src/host/agent/agentLoop';
import { Conversation, type ConversationItem } from '../../src/host/agent/conversation';
import type { ModelCall, ModelClient, ModelTurn } from '../../src/host/agent/modelClient';
import { finishTool } from '../../src/host/agent/tools/finish';
import type { AnyToolDef, ToolContext } from '../../src/host/agent/tools/types';

const OBJECT = { type: 'object', properties: {}, required: [], additionalProperties: false } as const;

/** A model that makes the given calls, one turn each. */
function scriptedModel(turns: ModelCall[][]): ModelClient {
  let next = 0;
  return { turn: async (): Promise<ModelTurn> => ({ text: '', calls: turns[next++] ?? [], status: 'completed' }) } as unknown as ModelClient;
}

/** A tool that notes, as it runs, whether its own call is already in the conversation file. */
function probe(name: string, sideEffects: boolean, file: string, seen: Map<string, boolean>): AnyToolDef {
  return {
    name,
    sideEffects,
    description: 'probe',
    parameters: OBJECT,
    parse: () => ({ ok: true, value: {} }),
    run: async () => {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as ConversationItem);
      seen.set(name, lines.some(i => i.type === 'function_call' && i.name === name));
      return { output: `${name} ran`, ok: true };
    },
  };
}

function options(conversation: Conversation, model: ModelClient, toolDefs: AnyToolDef[]): AgentLoopOptions {
  return {
    model,
    modelName: 'gpt-5.4',
    instructions: 'Work.',
    tools: [],
    toolDefs,
    conversation,
    toolContext: { signal: new AbortController().signal } as ToolContext,
    maxTurns: 10,
    maxOutputTokens: 1000,
    cacheKey: 'switchyard-test',
    signal: new AbortController().signal,
    emit: () => undefined,
    onTurn: () => undefined,
    takeNotes: () => [],
    compactAtTokens: Number.POSITIVE_INFINITY,
    onCompacted: () => undefined,
  };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-loop-persist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const call = (name: string, n: number): ModelCall => ({ callId: `call_${n}`, name, arguments: '{}' });

test('a call that may change something is on disk before its tool runs; a finished session has every item on disk', async t => {
  const file = path.join(tempDir(t), 'conversation.jsonl');
  const conversation = await Conversation.open(file);
  await conversation.append({ type: 'message', role: 'user', content: 'Do it.' });
  const seen = new Map<string, boolean>();
  const tools = [probe('change_things', true, file, seen), probe('look_around', false, file, seen), finishTool as AnyToolDef];
  const model = scriptedModel([[call('look_around', 1)], [call('change_things', 2)], [call('finish', 3)]]);

  const outcome = await runAgentLoop(options(conversation, model, tools));

  assert.equal(outcome.kind, 'finished');
  assert.equal(seen.get('change_things'), true, 'the changing call was not on disk when its tool ran');
  assert.ok(seen.has('look_around'));
  // Read before close(): returning "finished" means the whole conversation is saved.
  const onDisk = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as ConversationItem);
  assert.deepEqual(onDisk, conversation.all);
  assert.equal(onDisk.filter(i => i.type === 'function_call_output').length, 3);
  await conversation.close();
});

test('a tool the role does not know counts as one that may change something', async t => {
  const file = path.join(tempDir(t), 'conversation.jsonl');
  const conversation = await Conversation.open(file);
  // The loop has no definition for this name, so it refuses the call; the call is saved first all the same.
  const model = scriptedModel([[call('mystery', 1)], [call('finish', 2)]]);
  let onDiskBeforeRefusal = false;
  const o = options(conversation, model, [finishTool as AnyToolDef]);
  o.emit = e => {
    if (e.kind === 'tool-call' && e.name === 'mystery') onDiskBeforeRefusal = readFileSync(file, 'utf8').includes('"name":"mystery"');
  };
  assert.equal((await runAgentLoop(o)).kind, 'finished');
  assert.equal(onDiskBeforeRefusal, true);
  await conversation.close();
});

test('a conversation that cannot be written stops the loop with the reason', async t => {
  const dir = tempDir(t);
  // Its folder is a file: every write fails.
  writeFileSync(path.join(dir, 'not-a-folder'), '');
  const conversation = await Conversation.open(path.join(dir, 'not-a-folder', 'conversation.jsonl'));
  const seen = new Map<string, boolean>();
  const tools = [probe('look_around', false, path.join(dir, 'not-a-folder'), seen), finishTool as AnyToolDef];
  const model = scriptedModel([[call('look_around', 1)], [call('look_around', 2)], [call('look_around', 3)], [call('finish', 4)]]);

  await assert.rejects(runAgentLoop(options(conversation, model, tools)), /Could not save the conversation to .*conversation\.jsonl/);
  await conversation.close().catch(() => undefined);
});
