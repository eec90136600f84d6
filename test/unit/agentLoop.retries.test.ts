// A model server that cannot be reached: before it has answered once in a run, that is most likely a
// wrong base URL or a server not started, said after a few seconds; once it has answered, a blip is
// waited out as long as any other transient failure.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { APIConnectionError, APIError } from 'openai';
import { runAgentLoop, type AgentLoopOptions, type AgentOutcome } from '../../src/host/agent/agentLoop';
import { Conversation } from '../../src/host/agent/conversation';
import type { ModelClient, ModelTurn } from '../../src/host/agent/modelClient';
import type { ToolContext } from '../../src/host/agent/tools/types';
import type { TranscriptEvent } from '../../src/protocol/records';
import { BASE_URL_WHERE } from '../../src/host/settings';

/** Plays `answers` in order: an Error is thrown, a turn is returned. */
function scripted(answers: (ModelTurn | Error)[]): ModelClient & { calls: number } {
  const model = {
    calls: 0,
    async turn(): Promise<ModelTurn> {
      const next = answers[Math.min(model.calls++, answers.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return model as unknown as ModelClient & { calls: number };
}

async function run(t: TestContext, model: ModelClient, extra: Partial<AgentLoopOptions> = {}): Promise<{ outcome: AgentOutcome; events: TranscriptEvent[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sy-retry-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conversation = await Conversation.open(path.join(dir, 'conversation.jsonl'));
  const events: TranscriptEvent[] = [];
  const outcome = await runAgentLoop({
    model, modelName: 'gpt-5.4', instructions: 'Answer.', tools: [], toolDefs: [], conversation,
    toolContext: {} as ToolContext, maxTurns: 5, maxOutputTokens: 1000, cacheKey: 'switchyard-test',
    signal: new AbortController().signal, emit: e => events.push(e), onTurn: () => undefined, takeNotes: () => [],
    compactAtTokens: Number.POSITIVE_INFINITY, onCompacted: () => undefined, ...extra,
  });
  await conversation.close();
  return { outcome, events };
}

const refused = () => new APIConnectionError({ message: 'connect ECONNREFUSED 127.0.0.1:9' });
const retries = (events: TranscriptEvent[]) => events.filter(e => e.kind === 'notice' && /retrying in/.test(e.text)).length;

test('a model server never reached in this run is reported after three attempts, with what to check', async t => {
  const model = scripted([refused()]);
  const { outcome, events } = await run(t, model);
  assert.equal(model.calls, 3);
  assert.equal(retries(events), 2);
  assert.equal(outcome.kind, 'failed');
  assert.match(outcome.kind === 'failed' ? outcome.reason : '', /^Could not reach the model server: .*ECONNREFUSED.* \(gave up after 3 attempts\)\. Check the base URL/);
  // Both clients show it: the CLI's flags stay in it, and the editor names its setting in their place (ui.startRefusal.test.ts).
  assert.ok(outcome.kind === 'failed' && outcome.reason.endsWith(`Check the base URL ${BASE_URL_WHERE} and that the server is running.`));
});

test('once the model server has answered, it is waited for as long as for any other failure', async t => {
  // The first answer is cut at the output limit: the loop asks again, and the server has gone away.
  const model = scripted([{ text: 'Part one', calls: [], status: 'incomplete' }, refused(), refused(), refused(), { text: 'Done.', calls: [], status: 'completed' }]);
  const { outcome, events } = await run(t, model);
  assert.deepEqual(outcome, { kind: 'finished', summary: 'Done.' });
  assert.equal(retries(events), 3, 'more retries than a server never reached gets');
});

test('a server that answered, even with an error, is not taken for a wrong address when it then cannot be reached', async t => {
  const slowDown = () => APIError.generate(429, { message: 'Rate limit reached' }, 'Rate limit reached', new Headers({ 'retry-after': '0.01' }));
  const model = scripted([slowDown(), slowDown(), refused(), { text: 'Done.', calls: [], status: 'completed' }]);
  const said: (string | undefined)[] = [];
  const { outcome, events } = await run(t, model, { onRetrying: reason => said.push(reason) });
  assert.deepEqual(outcome, { kind: 'finished', summary: 'Done.' });
  assert.equal(retries(events), 3);
  // The session's row says why it waits while it does, and stops saying so once an answer comes.
  assert.equal(said.length, 4);
  assert.match(said[0] ?? '', /^The model server answered 429 \("Rate limit reached"\); retrying in under a second\.$/);
  assert.equal(said.at(-1), undefined);
});

test('a server asking for a long wait pauses the session, saying until when, instead of holding its slot that long', async t => {
  const quota = () => APIError.generate(429, { message: 'Rate limit reached' }, 'Rate limit reached', new Headers({ 'retry-after': '3600' }));
  const model = scripted([quota(), { text: 'Done.', calls: [], status: 'completed' }]);
  const { outcome, events } = await run(t, model);
  assert.equal(model.calls, 1, 'not asked again');
  assert.equal(retries(events), 0);
  assert.equal(outcome.kind, 'blocked');
  assert.match(outcome.kind === 'blocked' ? outcome.reason : '', /^The model server answered 429 \("Rate limit reached"\) and asks to wait 60 minutes \(until \d\d:\d\d\); paused rather than holding a slot that long\. Resume it then\.$/);
});

test("a wait given in retry-after-ms or as an HTTP date is the one waited", async t => {
  // A date has whole seconds: five ahead is a wait of four to five, where the first retry's backoff is one.
  const asked = [
    new Headers({ 'retry-after': new Date(Date.now() + 5000).toUTCString() }),
    new Headers({ 'retry-after-ms': '20', 'retry-after': '3600' }),
  ].map(h => APIError.generate(503, { message: 'Busy' }, 'Busy', h));
  const model = scripted([...asked, { text: 'Done.', calls: [], status: 'completed' }]);
  const said: string[] = [];
  const { outcome } = await run(t, model, { onRetrying: reason => reason && said.push(reason) });
  assert.deepEqual(outcome, { kind: 'finished', summary: 'Done.' });
  assert.equal(said.length, 2);
  assert.match(said[0] ?? '', /^The model server answered 503 \("Busy"\); retrying in [345] s\.$/, 'the date, not the backoff (1 s)');
  assert.equal(said[1], 'The model server answered 503 ("Busy"); retrying in under a second.', 'the milliseconds, not the seconds beside them');
});
