// Prompts built for the cache: instructions and tools first and byte-stable, items only appended, a tier
// change or an approval added as new messages, never by rewriting earlier ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineSink } from '../../src/host/events';
import { silentSink } from '../../src/host/events';
import { engineFor, noProgress, settle, upstream } from './helpers/engineKit';

const steps = {
  steps: [
    { calls: [{ name: 'list_files', arguments: {} }] },
    { text: 'Reading the readme.', calls: [{ name: 'read_file', arguments: { path: 'README.md' } }] },
    { calls: [{ name: 'run_command', arguments: { command: 'echo building && echo done' } }] },
    { calls: [{ name: 'write_file', arguments: { path: 'a.txt', content: 'a\n' } }, { name: 'write_file', arguments: { path: 'b.txt', content: 'b\n' } }] },
    { calls: [{ name: 'run_command', arguments: { command: 'cat a.txt b.txt' } }] },
    { calls: [{ name: 'finish', arguments: { summary: 'done' } }] },
  ],
};

type Body = { instructions: string; tools: unknown[]; input: unknown[]; prompt_cache_key: string; service_tier: string };

test('each request repeats the previous one byte for byte and only appends, across a tier change and approvals', async t => {
  const up = await upstream(t, { scripts: { s: steps } });
  let changedTier = false;
  let engineRef: { sessions: { setTier(id: string, tier: 'priority'): unknown } } | undefined;
  const sink: EngineSink = {
    ...silentSink,
    // The user approves each command; the first approval also switches the session to priority.
    approval: async req => {
      if (!changedTier) {
        changedTier = true;
        await engineRef?.sessions.setTier(req.sessionId, 'priority');
      }
      return { approved: true };
    },
  };
  const { engine, repo } = await engineFor(t, { up, sink, headless: false });
  engineRef = engine;
  const s = await settle(engine, await engine.sessions.create({ repo, task: '[script:s] prefix check', title: 'Prefix', approval: 'ask' }, noProgress));
  assert.equal(s.status, 'done', s.statusReason);
  assert.ok(changedTier);
  const bodies = up.requests.map(r => r.body as Body);
  assert.equal(bodies.length, 6);
  for (let i = 1; i < bodies.length; i++) {
    const prev = bodies[i - 1];
    const cur = bodies[i];
    assert.equal(cur.instructions, prev.instructions, `instructions stable at request ${i + 1}`);
    assert.equal(JSON.stringify(cur.tools), JSON.stringify(prev.tools), `tools stable at request ${i + 1}`);
    assert.equal(cur.prompt_cache_key, prev.prompt_cache_key);
    assert.ok(cur.input.length > prev.input.length, 'the conversation grows');
    for (let k = 0; k < prev.input.length; k++) {
      assert.equal(JSON.stringify(cur.input[k]), JSON.stringify(prev.input[k]), `request ${i + 1} rewrote item ${k + 1}`);
    }
  }
  const tiers = bodies.map(b => b.service_tier);
  assert.equal(tiers[0], 'default');
  assert.equal(tiers.at(-1), 'priority');
  const note = bodies.at(-1)!.input.find(i => JSON.stringify(i).includes('now runs on the priority tier'));
  assert.ok(note, 'the tier change reached the model as a new message');
  // Nothing volatile ahead of the newest turn.
  assert.doesNotMatch(bodies[0].instructions, /\d{4}-\d{2}-\d{2}T|\d{1,2}:\d{2}/);
});

test('sessions of the same role share the instructions-and-tools prefix byte for byte', async t => {
  const up = await upstream(t, { scripts: { s: steps } });
  const { engine, repo } = await engineFor(t, { up });
  const [a, b] = await Promise.all([
    engine.sessions.create({ repo, task: '[script:s] one', title: 'One' }, noProgress),
    engine.sessions.create({ repo, task: '[script:s] two', title: 'Two' }, noProgress),
  ]);
  await Promise.all([settle(engine, a), settle(engine, b)]);
  const firsts = [a, b].map(s => up.requests.find(r => (r.body as Body).prompt_cache_key === `switchyard-${s.id}`)!.body as Body);
  assert.equal(firsts[0].instructions, firsts[1].instructions);
  assert.equal(JSON.stringify(firsts[0].tools), JSON.stringify(firsts[1].tools));
  assert.notEqual(firsts[0].prompt_cache_key, firsts[1].prompt_cache_key);
});
