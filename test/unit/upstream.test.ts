// The test upstream speaks the wire protocol the real `openai` SDK expects, event by event.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { clientFor, collect, upstreamFor } from '../upstream/testkit';

const RESPONSES_TEXT_SEQUENCE = [
  'response.created', 'response.in_progress',
  'response.output_item.added', 'response.content_part.added',
  'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
  'response.completed',
];

test('streaming Responses: the SDK iterates the exact event sequence, numbered, with usage and tier at the end', async t => {
  const up = await upstreamFor(t, { scripts: { hello: { steps: [{ text: 'Hello there, {{task}}!', reasoningTokens: 7 }] } } });
  const client = clientFor(up);
  const stream = await client.responses.create({
    model: 'gpt-5', stream: true, service_tier: 'priority', input: '[script:hello] Ada',
  });
  const events = await collect(stream);

  const collapsed = events.map(e => e.type).filter((type, i, all) => type !== all[i - 1]);
  assert.deepEqual(collapsed, RESPONSES_TEXT_SEQUENCE);
  assert.deepEqual(events.map(e => e.sequence_number), events.map((_, i) => i));
  const deltas = events.filter(e => e.type === 'response.output_text.delta');
  assert.ok(deltas.length > 1, 'text streams in several deltas');
  assert.equal(deltas.map(e => e.delta).join(''), 'Hello there, Ada!');

  const created = events[0]!;
  assert.ok(created.type === 'response.created');
  assert.equal(created.response.status, 'in_progress');
  const last = events.at(-1)!;
  assert.ok(last.type === 'response.completed');
  const r = last.response;
  assert.equal(r.status, 'completed');
  assert.equal(r.id, created.response.id);
  assert.equal(r.service_tier, 'priority');
  assert.equal(r.model, 'gpt-5');
  const usage = r.usage!;
  assert.equal(usage.input_tokens_details.cached_tokens, 0);
  assert.equal(usage.output_tokens_details.reasoning_tokens, 7);
  // "Hello there, Ada!" is 17 bytes: 5 tokens, plus the 7 reasoning tokens.
  assert.equal(usage.output_tokens, 12);
  assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
  assert.ok(usage.input_tokens > 0);

  const rec = up.requests[0]!;
  assert.deepEqual(rec.usage, { input: usage.input_tokens, cached: 0, output: 12, reasoning: 7 });
  assert.equal(rec.servedTier, 'priority');
  assert.equal(rec.headers.authorization, 'Bearer sk-test');
  assert.equal(rec.body.model, 'gpt-5');
  assert.equal(rec.status, 200);
  assert.equal(rec.cut, undefined);
});

test('responses.stream() helper accumulates text and calls into finalResponse()', async t => {
  const up = await upstreamFor(t, {
    scripts: { s: { steps: [{ text: 'Reading both.', calls: [
      { name: 'read_file', arguments: { path: 'a.ts' } },
      { name: 'read_file', arguments: { path: 'b.ts', range: [1, 20] } },
    ] }] } },
  });
  const seen: string[] = [];
  const stream = clientFor(up).responses.stream({ model: 'gpt-5', input: [{ role: 'user', content: '[script:s] go' }] });
  stream.on('response.function_call_arguments.done', e => seen.push(e.arguments));
  const final = await stream.finalResponse();

  assert.equal(final.status, 'completed');
  assert.equal(final.output_text, 'Reading both.');
  const calls = final.output.filter(o => o.type === 'function_call');
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map(c => c.name), ['read_file', 'read_file']);
  assert.deepEqual(calls.map(c => JSON.parse(c.arguments)), [{ path: 'a.ts' }, { path: 'b.ts', range: [1, 20] }]);
  assert.notEqual(calls[0]!.call_id, calls[1]!.call_id);
  assert.deepEqual(seen, calls.map(c => c.arguments));
  assert.ok(final.usage && final.usage.output_tokens > 0);
});

test('several function calls in one turn stream with their own item, call_id and argument deltas', async t => {
  const big = 'x'.repeat(100);
  const up = await upstreamFor(t, {
    scripts: { s: { steps: [{ calls: [
      { name: 'write_file', arguments: { path: 'big.txt', content: big } },
      { name: 'run', arguments: { cmd: 'npm test' } },
      { name: 'list_files', arguments: {} },
    ] }] } },
  });
  const events = await collect(await clientFor(up).responses.create({ model: 'gpt-5', stream: true, input: '[script:s]' }));

  const added = events.filter(e => e.type === 'response.output_item.added').map(e => e.item);
  assert.deepEqual(added.map(i => i.type), ['function_call', 'function_call', 'function_call']);
  for (const [index, item] of added.entries()) {
    assert.ok(item.type === 'function_call');
    assert.equal(item.arguments, '', 'arguments start empty');
    const deltas = events.filter(e => e.type === 'response.function_call_arguments.delta' && e.output_index === index);
    const done = events.find(e => e.type === 'response.function_call_arguments.done' && e.output_index === index);
    assert.ok(done?.type === 'response.function_call_arguments.done');
    assert.equal(deltas.map(d => (d.type === 'response.function_call_arguments.delta' ? d.delta : '')).join(''), done.arguments);
    assert.ok(deltas.every(d => d.type === 'response.function_call_arguments.delta' && d.item_id === item.id));
  }
  assert.ok(events.filter(e => e.type === 'response.function_call_arguments.delta' && e.output_index === 0).length > 5);
  const completed = events.at(-1)!;
  assert.ok(completed.type === 'response.completed');
  const calls = completed.response.output.flatMap(o => (o.type === 'function_call' ? [o] : []));
  assert.deepEqual(calls.map(c => c.name), ['write_file', 'run', 'list_files']);
  assert.deepEqual(JSON.parse(calls[0]!.arguments), { path: 'big.txt', content: big });
  assert.equal(new Set(calls.map(c => c.call_id)).size, 3);
  assert.deepEqual(calls.map(c => c.call_id), added.map(i => (i.type === 'function_call' ? i.call_id : '')));
});

test('non-streaming Responses returns the same final object', async t => {
  const up = await upstreamFor(t, { scripts: { s: { steps: [{ text: 'All good.', calls: [{ name: 'finish', arguments: { summary: 'ok' } }] }] } } });
  const r = await clientFor(up).responses.create({ model: 'gpt-5.4', input: '[script:s] do it', service_tier: 'flex' });
  assert.equal(r.object, 'response');
  assert.equal(r.status, 'completed');
  assert.equal(r.output_text, 'All good.');
  assert.equal(r.service_tier, 'flex');
  assert.deepEqual(r.output.map(o => o.type), ['message', 'function_call']);
  assert.ok(r.usage && r.usage.input_tokens === up.requests[0]!.usage!.input);
  assert.equal(up.requests[0]!.body.stream, undefined);
});

test('Chat Completions streaming: content, tool call deltas by index, finish_reason, usage chunk, [DONE]', async t => {
  const up = await upstreamFor(t, { scripts: { s: { steps: [{ text: 'Let me look.', calls: [
    { name: 'read_file', arguments: { path: 'src/a.ts' } },
    { name: 'grep', arguments: { pattern: 'TODO', paths: ['src', 'test'] } },
  ] }] } } });
  const stream = await clientFor(up).chat.completions.create({
    model: 'gpt-4.1', stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: '[script:s] look' }],
  });
  const chunks = await collect(stream);

  let content = '';
  const calls: { id?: string; name?: string; args: string }[] = [];
  for (const chunk of chunks) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      for (const tc of choice.delta.tool_calls ?? []) {
        const call = (calls[tc.index] ??= { args: '' });
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name = tc.function.name;
        call.args += tc.function?.arguments ?? '';
      }
    }
  }
  assert.equal(content, 'Let me look.');
  assert.deepEqual(calls.map(c => c.name), ['read_file', 'grep']);
  assert.deepEqual(calls.map(c => JSON.parse(c.args)), [{ path: 'src/a.ts' }, { pattern: 'TODO', paths: ['src', 'test'] }]);
  assert.ok(calls.every(c => c.id?.startsWith('call_')));
  const finishes = chunks.flatMap(c => c.choices.map(ch => ch.finish_reason)).filter(Boolean);
  assert.deepEqual(finishes, ['tool_calls']);
  const last = chunks.at(-1)!;
  assert.deepEqual(last.choices, []);
  assert.ok(last.usage);
  assert.equal(last.usage.prompt_tokens, up.requests[0]!.usage!.input);
  assert.equal(last.usage.prompt_tokens_details?.cached_tokens, 0);
  assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
  assert.ok(chunks.slice(0, -1).every(c => c.usage === null));
  assert.equal(last.service_tier, 'default');
});

test('Chat Completions: no usage chunk without include_usage; non-streaming answers a chat.completion', async t => {
  const up = await upstreamFor(t);
  const client = clientFor(up);
  const chunks = await collect(await client.chat.completions.create({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(chunks.every(c => c.usage === undefined && c.choices.length === 1));
  assert.equal(chunks.map(c => c.choices[0]!.delta.content ?? '').join(''), 'done.');
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'stop');

  const r = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], service_tier: 'fast' });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices[0]!.message.content, 'done.');
  assert.equal(r.choices[0]!.finish_reason, 'stop');
  assert.equal(r.service_tier, 'priority');
  assert.ok(r.usage!.prompt_tokens > 0 && r.usage!.completion_tokens === 2);
});

test('models, unknown paths, request ids and rate-limit headers', async t => {
  const up = await upstreamFor(t, { rateLimit: { requests: 100, tokens: 1_000_000 } });
  const client = clientFor(up);
  const models = await collect(client.models.list());
  assert.ok(models.some(m => m.id === 'gpt-5'));
  await assert.rejects(client.models.retrieve('nope'), (e: unknown) => e instanceof OpenAI.NotFoundError);

  const res = await fetch(`${up.url}/nothing-here`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: { message: 'Invalid URL (POST /v1/nothing-here)', type: 'invalid_request_error', param: null, code: null } });
  assert.match(res.headers.get('x-request-id') ?? '', /^req_[0-9a-f]{32}$/);

  const first = await client.responses.create({ model: 'gpt-5', input: 'a' }).withResponse();
  const second = await client.responses.create({ model: 'gpt-5', input: 'b' }).withResponse();
  assert.equal(first.request_id, up.requests.at(-2)!.requestId);
  assert.equal(first.response.headers.get('x-ratelimit-limit-requests'), '100');
  assert.equal(first.response.headers.get('x-ratelimit-remaining-requests'), '99');
  assert.equal(second.response.headers.get('x-ratelimit-remaining-requests'), '98');
  const tokensLeft = (h: Headers): number => Number(h.get('x-ratelimit-remaining-tokens'));
  assert.equal(tokensLeft(first.response.headers) - tokensLeft(second.response.headers), up.requests.at(-1)!.usage!.input);
  assert.match(first.response.headers.get('x-ratelimit-reset-requests') ?? '', /^(\d+m)?\d+(\.\d+)?s$|^\d+ms$/);
});

test('request validation mirrors the API: bad tier, missing model, tiny max_output_tokens, orphan tool outputs, bad JSON', async t => {
  const up = await upstreamFor(t);
  const client = clientFor(up);
  const isBadRequest = (param: string) => (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === param;
  // The API has no tier called "standard".
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: 'x', service_tier: 'standard' as 'default' }), isBadRequest('service_tier'));
  await assert.rejects(client.responses.create({ input: 'x' } as unknown as { model: string; input: string }), isBadRequest('model'));
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: 'x', max_output_tokens: 8 }), isBadRequest('max_output_tokens'));
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: [
    { role: 'user', content: 'x' }, { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
  ] }), isBadRequest('input'));
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: [
    { role: 'user', content: 'x' }, { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
  ] }), isBadRequest('input'));
  await assert.rejects(client.chat.completions.create({ model: 'gpt-5', messages: [
    { role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
  ] }), isBadRequest('messages.[1].role'));
  await assert.rejects(client.chat.completions.create({ model: 'gpt-5', messages: [
    { role: 'user', content: 'x' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    { role: 'user', content: 'y' },
  ] }), isBadRequest('messages.[1].role'));
  const res = await fetch(`${up.url}/responses`, { method: 'POST', body: '{not json', headers: { 'content-type': 'application/json' } });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /could not parse the JSON body/);
  assert.ok(up.requests.every(r => r.status === 400 && r.usage === undefined));
});
