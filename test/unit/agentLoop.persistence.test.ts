// What the turn loop writes to the conversation, and when: a call that may change something is on disk
// before its tool runs (after a crash it is answered as interrupted, never run twice); a call that only
// reads may be written meanwhile; a returned outcome means every item is on disk; a failed write stops the
// loop, and nothing queued after it is written.
import assert from 'node:assert/strict';
import { promises as fsPromises, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { runAgentLoop, type AgentLoopOptions } from '../../src/host/agent/agentLoop';
import { Conversation, type ConversationItem } from '../../src/host/agent/conversation';
import type { ModelCall, ModelClient, ModelTurn } from '../../src/host/agent/modelClient';
import { finishTool } from '../../src/host/agent/tools/finish';
import type { AnyToolDef, ToolContext } from '../../src/host/agent/tools/types';

const OBJECT = { type: 'object', properties: {}, required: [], additionalProperties: false } as const;

/** A model that makes the given calls, one turn each; a turn beyond its script fails the test. */
function scriptedModel(turns: ModelCall[][]): ModelClient {
  let next = 0;
  return {
    turn: async (): Promise<ModelTurn> => {
      const calls = turns[next++];
      if (!calls) throw new Error(`the loop asked for turn ${next}, past the script's ${turns.length}`);
      return { text: '', calls, status: 'completed' };
    },
  } as unknown as ModelClient;
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
const finish = (n: number): ModelCall => ({ callId: `call_${n}`, name: 'finish', arguments: JSON.stringify({ summary: 'done' }) });

test('a call that may change something is on disk before its tool runs; a finished session has every item on disk', async t => {
  const file = path.join(tempDir(t), 'conversation.jsonl');
  const conversation = await Conversation.open(file);
  await conversation.append({ type: 'message', role: 'user', content: 'Do it.' });
  const seen = new Map<string, boolean>();
  const tools = [probe('change_things', true, file, seen), probe('look_around', false, file, seen), finishTool as AnyToolDef];
  const model = scriptedModel([[call('look_around', 1)], [call('change_things', 2)], [finish(3)]]);

  const outcome = await runAgentLoop(options(conversation, model, tools));

  assert.deepEqual(outcome, { kind: 'finished', summary: 'done' });
  assert.equal(seen.get('change_things'), true, 'the changing call was not on disk when its tool ran');
  assert.ok(seen.has('look_around'));
  // Read before close(): a returned outcome means the whole conversation is saved.
  const onDisk = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as ConversationItem);
  assert.deepEqual(onDisk, conversation.all);
  assert.equal(onDisk.filter(i => i.type === 'function_call_output').length, 3);
  await conversation.close();
});

test('a tool the role does not know counts as one that may change something', async t => {
  const file = path.join(tempDir(t), 'conversation.jsonl');
  const conversation = await Conversation.open(file);
  // The loop has no definition for this name, so it refuses the call; the call is saved first all the same.
  const model = scriptedModel([[call('mystery', 1)], [finish(2)]]);
  let onDiskBeforeRefusal = false;
  const o = options(conversation, model, [finishTool as AnyToolDef]);
  o.emit = e => {
    if (e.kind === 'tool-call' && e.name === 'mystery') onDiskBeforeRefusal = readFileSync(file, 'utf8').includes('"name":"mystery"');
  };
  assert.deepEqual(await runAgentLoop(o), { kind: 'finished', summary: 'done' });
  assert.equal(onDiskBeforeRefusal, true);
  await conversation.close();
});

test('a conversation that cannot be written stops the loop at the next write, with the reason', async t => {
  const dir = tempDir(t);
  // Its folder is a file: every write fails.
  writeFileSync(path.join(dir, 'not-a-folder'), '');
  const conversation = await Conversation.open(path.join(dir, 'not-a-folder', 'conversation.jsonl'));
  let runs = 0;
  const look: AnyToolDef = {
    name: 'look_around',
    sideEffects: false,
    description: 'probe',
    parameters: OBJECT,
    parse: () => ({ ok: true, value: {} }),
    // Runs while its call is being written, and lets that write finish (and fail) before it returns.
    run: async () => {
      runs++;
      await conversation.saved().catch(() => undefined);
      return { output: 'looked', ok: true };
    },
  };
  const model = scriptedModel([[call('look_around', 1)], [call('look_around', 2)], [call('look_around', 3)], [finish(4)]]);

  await assert.rejects(runAgentLoop(options(conversation, model, [look, finishTool as AnyToolDef])), /Could not save the conversation to .*conversation\.jsonl/);
  assert.equal(runs, 1, 'the loop went on after a write had failed');
  await conversation.close();
});

test('after a failed write nothing more is queued or written, and saved() says why', async t => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'not-a-folder'), '');
  const conversation = await Conversation.open(path.join(dir, 'not-a-folder', 'conversation.jsonl'));
  conversation.queue({ type: 'message', role: 'user', content: 'first' });
  await assert.rejects(conversation.saved(), /Could not save the conversation/);
  assert.throws(() => conversation.queue({ type: 'message', role: 'user', content: 'second' }), /Could not save the conversation/);
  await assert.rejects(conversation.append({ type: 'message', role: 'user', content: 'third' }), /Could not save the conversation/);
  assert.equal(conversation.length, 1);
  await conversation.close();
});

test('nothing queued after a failed write reaches the file: it stays a prefix of the conversation', async t => {
  const file = path.join(tempDir(t), 'conversation.jsonl');
  // The disk fills up for one write only: the writes queued behind it would succeed.
  const realOpen = fsPromises.open;
  t.after(() => void (fsPromises.open = realOpen));
  let writes = 0;
  fsPromises.open = (async (...args: Parameters<typeof realOpen>) => {
    const handle = await realOpen(...args);
    const writeFile = handle.writeFile.bind(handle);
    handle.writeFile = (async (...w: Parameters<typeof writeFile>) => {
      if (writes++ === 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return writeFile(...w);
    }) as typeof handle.writeFile;
    return handle;
  }) as typeof realOpen;
  const conversation = await Conversation.open(file);
  const items: ConversationItem[] = ['first', 'second', 'third'].map(content => ({ type: 'message', role: 'user', content }));
  for (const item of items) conversation.queue(item);
  await assert.rejects(conversation.saved(), /no space left on device/);
  await conversation.close();
  const onDisk = readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as ConversationItem);
  assert.deepEqual(onDisk, items.slice(0, 1));
});
