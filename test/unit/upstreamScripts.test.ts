// Scripted turns: which script and step a request plays, templates, the output budget, and server-side
// state through previous_response_id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { clientFor, collect, filler, upstreamFor } from '../upstream/testkit';

const TOOL_LOOP = {
  steps: [
    { calls: [{ name: 'read_file', arguments: { path: 'a.ts' } }, { name: 'read_file', arguments: { path: 'b.ts' } }] },
    { text: 'Patching.', calls: [{ name: 'apply_patch', arguments: { patch: 'turn {{turn}}' } }] },
    { text: 'Finished turn {{turn}}.' },
  ],
};

/** Plays an agent that resends the whole conversation each turn (store: false), answering every call. */
async function runAgent(client: OpenAI, task: string, turns: number, layout: 'grouped' | 'interleaved' = 'grouped'): Promise<string[]> {
  const input: ResponseInputItem[] = [{ role: 'user', content: task }];
  const texts: string[] = [];
  for (let i = 0; i < turns; i++) {
    const r = await client.responses.create({ model: 'gpt-5', input, store: false });
    texts.push(r.output_text);
    const calls = r.output.flatMap(o => (o.type === 'function_call' ? [o] : []));
    for (const o of r.output) if (o.type === 'message') input.push(o);
    if (layout === 'grouped') {
      input.push(...calls);
      for (const c of calls) input.push({ type: 'function_call_output', call_id: c.call_id, output: `ran ${c.name}` });
    } else {
      for (const c of calls) input.push(c, { type: 'function_call_output', call_id: c.call_id, output: `ran ${c.name}` });
    }
    if (!calls.length) input.push({ role: 'user', content: 'continue' });
  }
  return texts;
}

test('the [script:NAME] tag picks the script; no tag plays "default"; an unknown name is a clear 400', async t => {
  const up = await upstreamFor(t, { scripts: { greet: { steps: [{ text: 'hello' }] } } });
  const client = clientFor(up);
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'please [script:greet] now' })).output_text, 'hello');
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'no tag' })).output_text, 'done.');
  up.addScript('default', { steps: [{ text: 'my default' }] });
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'no tag' })).output_text, 'my default');
  const err = await client.responses.create({ model: 'gpt-5', input: '[script:nope]' }).catch((e: unknown) => e);
  assert.ok(err instanceof OpenAI.BadRequestError);
  assert.match(err.message, /no script named 'nope' \(known: greet, default\)/);
  assert.deepEqual(up.requests.map(r => r.script), ['greet', 'default', 'default', 'nope']);
});

test('the tag may sit in a later user message, as when an agent sends its own context first', async t => {
  const up = await upstreamFor(t, { scripts: { s: { steps: [{ text: 'task was: {{task}}' }] } } });
  const r = await clientFor(up).responses.create({ model: 'gpt-5', input: [
    { role: 'user', content: [{ type: 'input_text', text: '<environment_context>cwd=/w</environment_context>' }] },
    { role: 'user', content: [{ type: 'input_text', text: 'Fix it [script:s]' }] },
  ] });
  assert.equal(r.output_text, 'task was: Fix it');
});

test('each model turn already in the input advances the script, then "done." after the last step', async t => {
  const up = await upstreamFor(t, { scripts: { loop: TOOL_LOOP } });
  const texts = await runAgent(clientFor(up), '[script:loop] fix', 5);
  assert.deepEqual(texts, ['', 'Patching.', 'Finished turn 3.', 'done.', 'done.']);
  assert.deepEqual(up.requests.map(r => r.step), [0, 1, 2, 3, 4]);
  const patch = (up.requests[2]!.body.input as { type?: string; name?: string; arguments?: string }[])
    .find(i => i.type === 'function_call' && i.name === 'apply_patch');
  assert.deepEqual(JSON.parse(patch!.arguments!), { patch: 'turn 2' });
});

test('parallel calls interleaved with their outputs still count as one turn', async t => {
  const up = await upstreamFor(t, { scripts: { loop: TOOL_LOOP } });
  const texts = await runAgent(clientFor(up), '[script:loop] fix', 3, 'interleaved');
  assert.deepEqual(texts, ['', 'Patching.', 'Finished turn 3.']);
});

test('turns are counted in foreign histories too: runs of calls, assistant messages, Chat assistant messages', async t => {
  const up = await upstreamFor(t, { scripts: { s: { steps: [{ text: 'A' }, { text: 'B' }, { text: 'C' }, { text: 'D' }] } } });
  const client = clientFor(up);
  const call = (id: string): ResponseInputItem => ({ type: 'function_call', call_id: id, name: 'f', arguments: '{}' });
  const out = (id: string): ResponseInputItem => ({ type: 'function_call_output', call_id: id, output: 'ok' });
  const r = await client.responses.create({ model: 'gpt-5', input: [
    { role: 'user', content: '[script:s]' },
    { role: 'assistant', content: 'thinking' }, call('x1'), call('x2'), out('x1'), out('x2'), // one turn: text and two calls
    call('x3'), out('x3'), // a second turn
    { role: 'assistant', content: 'more' }, // a third
    { role: 'user', content: 'go on' },
  ] });
  assert.equal(r.output_text, 'D');
  const c = await client.chat.completions.create({ model: 'gpt-5', messages: [
    { role: 'user', content: '[script:s]' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'ok' },
    { role: 'assistant', content: 'A' },
    { role: 'user', content: 'next' },
  ] });
  assert.equal(c.choices[0]!.message.content, 'C');
});

test('repeatLast keeps playing the last step, as a looping agent would see', async t => {
  const up = await upstreamFor(t, { scripts: { stuck: { repeatLast: true, steps: [
    { text: 'start' }, { calls: [{ name: 'run', arguments: { cmd: 'npm test', attempt: '{{turn}}' } }] },
  ] } } });
  await runAgent(clientFor(up), '[script:stuck]', 5);
  assert.deepEqual(up.requests.map(r => r.step), [0, 1, 1, 1, 1]);
  const last = up.requests.at(-1)!.body.input as { type?: string; arguments?: string }[];
  const attempts = last.filter(i => i.type === 'function_call').map(i => JSON.parse(i.arguments!).attempt);
  assert.deepEqual(attempts, ['2', '3', '4']);
});

test('templates fill {{task}}, {{turn}} and {{n}} in text and in nested arguments', async t => {
  const up = await upstreamFor(t, { scripts: { tpl: { steps: [{
    text: '#{{n}} turn {{turn}}: {{task}}',
    calls: [{ name: 'note', arguments: { deep: { list: ['{{task}}', 7, '{{n}}'] }, keep: true } }],
  }] } } });
  const client = clientFor(up);
  await client.responses.create({ model: 'gpt-5', input: 'warm-up' });
  const r = await client.responses.create({ model: 'gpt-5', input: '  Rename foo [script:tpl]  ' });
  assert.equal(r.output_text, '#2 turn 1: Rename foo');
  const call = r.output.find(o => o.type === 'function_call');
  assert.ok(call?.type === 'function_call');
  assert.deepEqual(JSON.parse(call.arguments), { deep: { list: ['Rename foo', 7, '2'] }, keep: true });
});

test('max_output_tokens truncates the turn: response.incomplete with reason and usage', async t => {
  const text = filler(400); // 100 tokens
  const up = await upstreamFor(t, { scripts: { long: { steps: [{ text, calls: [{ name: 'f', arguments: {} }] }] } } });
  const client = clientFor(up);
  const events = await collect(await client.responses.create({ model: 'gpt-5', input: '[script:long]', stream: true, max_output_tokens: 30 }));
  const last = events.at(-1)!;
  assert.ok(last.type === 'response.incomplete');
  assert.equal(last.response.status, 'incomplete');
  assert.deepEqual(last.response.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(last.response.usage!.output_tokens, 30);
  assert.ok(!events.some(e => e.type === 'response.output_item.added' && e.item.type === 'function_call'));
  const streamed = events.flatMap(e => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
  assert.equal(streamed, text.slice(0, 120));
  assert.equal(up.requests[0]!.incomplete, true);

  const final = await client.responses.stream({ model: 'gpt-5', input: '[script:long]', max_output_tokens: 16 }).finalResponse();
  assert.equal(final.status, 'incomplete');
  assert.equal(final.output_text, text.slice(0, 64));
});

test('the budget goes to reasoning first, then text, then calls (a cut call keeps partial arguments)', async t => {
  const up = await upstreamFor(t, { scripts: {
    think: { steps: [{ text: 'never shown', reasoningTokens: 500 }] },
    call: { steps: [{ calls: [{ name: 'write', arguments: { content: filler(400) } }] }] },
  } });
  const client = clientFor(up);
  const thought = await client.responses.create({ model: 'gpt-5', input: '[script:think]', max_output_tokens: 64 });
  assert.equal(thought.status, 'incomplete');
  assert.deepEqual(thought.output, []);
  assert.deepEqual([thought.usage!.output_tokens, thought.usage!.output_tokens_details.reasoning_tokens], [64, 64]);

  const cut = await client.responses.create({ model: 'gpt-5', input: '[script:call]', max_output_tokens: 20 });
  const call = cut.output[0];
  assert.ok(call?.type === 'function_call');
  assert.equal(call.status, 'incomplete');
  assert.throws(() => JSON.parse(call.arguments));
  assert.equal(cut.usage!.output_tokens, 20);

  const chat = await client.chat.completions.create({ model: 'gpt-5', max_tokens: 20, messages: [{ role: 'user', content: '[script:call]' }] });
  assert.equal(chat.choices[0]!.finish_reason, 'length');
  assert.equal(chat.usage!.completion_tokens, 20);
});

test('previous_response_id continues stored state; store:false keeps nothing', async t => {
  const up = await upstreamFor(t, { scripts: { loop: TOOL_LOOP } });
  const client = clientFor(up);
  const instructions = filler(6000);
  const first = await client.responses.create({ model: 'gpt-5', instructions, input: '[script:loop] go' });
  const outputs: ResponseInputItem[] = first.output.flatMap(o =>
    (o.type === 'function_call' ? [{ type: 'function_call_output' as const, call_id: o.call_id, output: 'contents' }] : []));
  assert.equal(outputs.length, 2);
  const second = await client.responses.create({ model: 'gpt-5', instructions, previous_response_id: first.id, input: outputs });
  assert.equal(second.output_text, 'Patching.');
  assert.equal(second.previous_response_id, first.id);
  assert.ok(second.usage!.input_tokens_details.cached_tokens >= 1024, 'the stored context is a cached prefix');

  const retrieved = await client.responses.retrieve(second.id);
  assert.equal(retrieved.output_text, 'Patching.');

  const unstored = await client.responses.create({ model: 'gpt-5', input: '[script:loop]', store: false });
  await assert.rejects(client.responses.create({ model: 'gpt-5', previous_response_id: unstored.id, input: 'x' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id');
  // Outputs owed to the stored calls must come with the next request.
  await assert.rejects(client.responses.create({ model: 'gpt-5', previous_response_id: first.id, input: 'skip them' }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && /No tool output found/.test(e.message));
});
