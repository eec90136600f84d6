// Cache insight: when a request caches less than the previous request's prefix should give, the gateway
// names the first segment that changed. One test per reason, through the real gateway and test upstream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCacheReference } from '../../src/host/gateway/cacheInsight';
import { upstream } from './helpers/engineKit';
import { gatewayFor, post, RecordingLink, responsesBody } from './helpers/gatewayKit';

const user = (text: string) => ({ type: 'message', role: 'user', content: text });
const assistant = (text: string) => ({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
const long = (n: number) => `Step ${n}: ${'observed output line. '.repeat(60)}`;

async function twoRequests(t: import('node:test').TestContext, first: Record<string, unknown>, second: (b: Record<string, unknown>) => Record<string, unknown>, o: { idle?: number; link?: (l: RecordingLink) => void; between?: (l: RecordingLink, kit: Awaited<ReturnType<typeof gatewayFor>>) => void; restart?: boolean; serverAfter?: string } = {}) {
  const clock = { now: Date.now() };
  const up = await upstream(t, { clock: () => clock.now, cacheTtlMs: 10 * 60_000 });
  const server = { url: up.url };
  const kit = await gatewayFor(t, up, { idleExpiryMs: 5 * 60_000, clock, server });
  const link = new RecordingLink('s1');
  let token = kit.gateway.register(link);
  const r1 = await post(kit.gateway, token, first);
  assert.equal(r1.status, 200, await r1.clone().text());
  await r1.text();
  await kit.gateway.drain('s1');
  o.between?.(link, kit);
  if (o.serverAfter) server.url = o.serverAfter;
  if (o.idle) clock.now += o.idle;
  if (o.restart) {
    // Another process: a gateway that never saw the first request, and the session's record as it was saved.
    kit.gateway.unregister('s1');
    token = kit.gateway.register(link);
  }
  const r2 = await post(kit.gateway, token, second(first));
  assert.equal(r2.status, 200);
  await r2.text();
  await kit.gateway.drain('s1');
  return { link, up };
}

const base = () => responsesBody({ input: [user('task: fix the build'), assistant(long(1))] });
const appended = (b: Record<string, unknown>) => ({ ...b, input: [...(b.input as unknown[]), user(long(2))] });

test('an append-only second request hits the cache and records no break', async t => {
  const { link } = await twoRequests(t, base(), appended);
  assert.equal(link.breaks.length, 0);
  assert.ok(link.usage[1].record.cached >= 1024);
});

test('changed instructions are named as the cause', async t => {
  const { link } = await twoRequests(t, base(), b => appended({ ...b, instructions: `Now is ${new Date().toISOString()}. ${String(b.instructions)}` }));
  assert.equal(link.breaks.length, 1);
  assert.equal(link.breaks[0].segment, 'instructions');
  assert.match(link.breaks[0].reason, /instructions changed/);
  assert.ok(link.breaks[0].lostUsd > 0);
});

test('changed tool schemas are named as the cause', async t => {
  const { link } = await twoRequests(t, responsesBody({ instructions: 'short rules', input: [user('task'), assistant(long(1)), assistant(long(2)), assistant(long(3))] }), b => appended({ ...b, tools: [...(b.tools as unknown[]), { type: 'function', name: 'search', description: 'Search', parameters: { type: 'object', properties: {} } }] }));
  assert.equal(link.breaks[0]?.segment, 'tools');
  assert.match(link.breaks[0].reason, /tool schemas changed/);
});

test('an earlier item rewritten is named, with its position', async t => {
  const { link } = await twoRequests(t, responsesBody({ instructions: 'short rules', input: [user('task'), assistant(long(1)), assistant(long(2)), assistant(long(3))] }), b => {
    const input = [...(b.input as unknown[])];
    input[1] = assistant(`${long(1)} (edited)`);
    return appended({ ...b, input });
  });
  assert.equal(link.breaks[0]?.segment, 'item 2 (assistant)');
  assert.match(link.breaks[0].reason, /earlier conversation item was rewritten: item 2/);
});

test('a tier change is named as the cause', async t => {
  const { link } = await twoRequests(t, base(), appended, { between: l => { l.currentTier = 'priority'; } });
  assert.equal(link.breaks[0]?.segment, 'tier');
  assert.match(link.breaks[0].reason, /^the tier changed/);
});

test('a change of model, cache key or model server is named as such', async t => {
  const model = await twoRequests(t, base(), b => appended({ ...b, model: 'gpt-5.5' }));
  assert.equal(model.link.breaks[0]?.segment, 'model');
  assert.match(model.link.breaks[0].reason, /^the model changed/);
  const key = await twoRequests(t, base(), b => appended({ ...b, prompt_cache_key: 'another-thread' }));
  assert.equal(key.link.breaks[0]?.segment, 'cache key');
  assert.match(key.link.breaks[0].reason, /^the prompt cache key changed/);
  // Another server (here: another test upstream, with an empty cache), in this process and the next.
  for (const restart of [false, true]) {
    const other = await upstream(t, {});
    const moved = await twoRequests(t, base(), appended, { serverAfter: other.url, restart });
    assert.equal(moved.link.breaks[0]?.segment, 'model server', `restart: ${restart}`);
    assert.match(moved.link.breaks[0].reason, /^the model server changed/);
    assert.ok(!JSON.stringify(moved.link.cacheRef).includes('127.0.0.1'), 'the record keeps no address');
  }
});

test('compaction is recorded as a planned cache reset', async t => {
  const { link } = await twoRequests(t, base(), b => ({ ...b, input: [user('task: fix the build'), user('Summary of the earlier part of this session: ...')] }), {
    between: (_l, kit) => kit.gateway.cacheOf('s1')?.markCompaction(),
  });
  assert.equal(link.breaks[0]?.segment, 'conversation');
  assert.match(link.breaks[0].reason, /compaction/);
});

test('resumed in another process, the first request is judged against the last one the session sent', async t => {
  const expired = await twoRequests(t, base(), appended, { idle: 12 * 60_000, restart: true });
  assert.equal(expired.link.breaks[0]?.segment, 'cache');
  assert.match(expired.link.breaks[0].reason, /cache expired after 12 min idle/);
  const calm = await twoRequests(t, base(), appended, { restart: true });
  assert.equal(calm.link.breaks.length, 0, 'an append-only request that hit the cache is no break');
  const tier = await twoRequests(t, base(), appended, { restart: true, between: l => { l.currentTier = 'priority'; } });
  assert.equal(tier.link.breaks[0]?.segment, 'tier');
  // A reference an older build saved (another layout, no version) is not judged against.
  assert.equal(isCacheReference(tier.link.cacheRef), true);
  assert.equal(isCacheReference({ ...tier.link.cacheRef, v: undefined }), false);
  const rewritten = await twoRequests(t, responsesBody({ instructions: 'short rules', input: [user('task'), assistant(long(1)), assistant(long(2)), assistant(long(3))] }), b => {
    const input = [...(b.input as unknown[])];
    input[1] = assistant(`${long(1)} (edited)`);
    return appended({ ...b, input });
  }, { restart: true });
  assert.equal(rewritten.link.breaks[0]?.segment, 'conversation');
  assert.match(rewritten.link.breaks[0].reason, /^an earlier conversation item was rewritten/);
  // What the record keeps is small, however long the conversation.
  assert.ok(JSON.stringify(rewritten.link.cacheRef).length < 600, JSON.stringify(rewritten.link.cacheRef));
});

test('a miss after a long idle time is put down to cache expiry', async t => {
  const { link } = await twoRequests(t, base(), appended, { idle: 12 * 60_000 });
  assert.equal(link.breaks[0]?.segment, 'cache');
  assert.match(link.breaks[0].reason, /cache expired after 12 min idle/);
});
