import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TraceFormatError } from '../../src/host/guard/errors';
import { formatReplay, replay } from '../../src/host/guard/replay';
import { appendTraceTurn, parseTrace, readTraceFile, serializeTrace } from '../../src/host/guard/trace';
import { SessionTraces } from '../../src/host/sessions/traces';
import type { TraceTurn } from '../../src/protocol/records';
import { cmd, jestFail, productiveSession, turns } from './guardTurns';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-guard-trace-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample: TraceTurn[] = [
  {
    turn: 1,
    toolCalls: [{ name: 'run_command', arguments: '{"command":"npm test"}', output: 'FAIL\nexit code: 1', ok: false }],
    text: 'Running the tests.',
    usage: { input: 8000, cached: 7680, output: 420, reasoning: 300 },
    costUsd: 0.0123,
    filesChanged: [],
    worktreeHash: 'abc123',
    tier: 'priority',
  },
  { turn: 2, toolCalls: [], filesChanged: ['src/a.ts'] },
];

test('a trace survives serialising and parsing unchanged', () => {
  const text = serializeTrace(sample);
  assert.equal(text.split('\n').length, 3, 'one line per turn, newline-terminated');
  assert.deepEqual(parseTrace(text), sample);
  assert.deepEqual(parseTrace(`\n${text.replace(/\n/g, '\r\n')}\n\n`), sample, 'blank lines and CRLF are fine');
});

test('hand-written arguments may be an object; they are kept as JSON text', () => {
  const [turn] = parseTrace('{"turn":1,"toolCalls":[{"name":"read_file","arguments":{"path":"a.ts"},"output":"x"}],"filesChanged":[]}');
  assert.equal(turn!.toolCalls[0]!.arguments, '{"path":"a.ts"}');
});

test('a bad line is reported with the file, its line number and what is wrong', () => {
  const good = serializeTrace(sample.slice(0, 1));
  const cases: [string, RegExp][] = [
    [`${good}{"turn":2,`, /^t\.jsonl line 2: not valid JSON/],
    [`${good}{"turn":2,"toolCalls":[]}`, /^t\.jsonl line 2: "filesChanged" must be an array of paths/],
    [`${good}{"turn":2,"toolCalls":[{"name":"x","arguments":"{}"}],"filesChanged":[]}`, /line 2: toolCalls\[0\]\.output must be a string/],
    [`${good}{"turn":1,"toolCalls":[],"filesChanged":[]}`, /line 2: turn 1 comes after turn 1; turns must increase/],
    [`${good}{"turn":2,"toolCalls":[],"filesChanged":[],"usage":{"input":-1,"cached":0,"output":1}}`, /line 2: "usage" must be/],
    [`${good}[1,2]`, /line 2: expected a JSON object/],
    [`${good}{"turn":2,"toolCalls":[{"name":"x","arguments":"{}","output":"","ok":"yes"}],"filesChanged":[]}`, /toolCalls\[0\]\.ok must be true or false/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseTrace(text, 't.jsonl'), (e: unknown) => e instanceof TraceFormatError && e.line === 2 && message.test(e.message));
  }
});

test('a recorded trace is appended turn by turn and read back; a cut last line is named', async () => {
  const file = path.join(dir, 'session.jsonl');
  for (const turn of sample) await appendTraceTurn(file, turn);
  assert.deepEqual(await readTraceFile(file), sample);
  await appendFile(file, '{"turn":3,"toolCalls":[');
  await assert.rejects(readTraceFile(file), (e: unknown) => e instanceof TraceFormatError && e.line === 3 && e.message.startsWith(file));
});

test('a trace cut mid-line by a crash: the next turn starts a line of its own, and a lenient read skips the cut one', async () => {
  const file = path.join(dir, 'cut.jsonl');
  await writeFile(file, serializeTrace([sample[0]!]) + '{"turn":2,"toolCalls":[{"na');
  const traces = new SessionTraces(() => assert.fail('no warning'));
  traces.append(file, { turn: 3, toolCalls: [], filesChanged: [] });
  traces.append(file, { turn: 4, toolCalls: [], filesChanged: [] });
  await traces.flush();
  const text = await readFile(file, 'utf8');
  assert.throws(() => parseTrace(text, 'cut.jsonl'), /cut\.jsonl line 2: not valid JSON/);
  assert.deepEqual(parseTrace(text, 'cut.jsonl', true).map(t => t.turn), [1, 3, 4]);
});

test('replay: a looping trace gets a verdict at the turn the guard pauses, and the turns it would not run', () => {
  const t = turns();
  const trace = Array.from({ length: 9 }, () => t([cmd('npm test', jestFail('test/a.test.ts', 'a › b', '1', '2'), 1)], { cost: 0.02 }));
  const result = replay(trace);
  assert.deepEqual(result.verdict, { result: 'pause', turn: 6, reason: result.turns[5]!.reason });
  assert.equal(result.turns.length, 6);
  assert.equal(result.unreached, 3);
  assert.equal(result.unreachedUsd.toFixed(2), '0.06');
  assert.deepEqual(result.turns.map(r => r.action), ['none', 'nudge', 'none', 'downgrade', 'none', 'pause']);
  assert.equal(result.turns[1]!.signal, 'repeated-error');

  const text = formatReplay(result).split('\n');
  assert.equal(text.length, 8, 'one line per turn, the verdict and its reason');
  assert.match(text[0]!, /^turn {3}1 {2}ok {8}none {6}\$0\.020$/);
  assert.match(text[1]!, /^turn {3}2 {2}warn .*nudge .*The same error 2 times.* \[\$0\.04 over 2 turns without progress\]$/);
  assert.match(text[6]!, /^verdict: pause at turn 6 after \$0\.12 over 6 turns without progress; 3 later turns \(\$0\.06\) would not have run$/);
  assert.match(text[7]!, /^ {2}Stuck, paused/);

  const headless = replay(trace, {}, { headless: true });
  assert.equal(headless.verdict.result, 'stop');
});

test('replay: a productive trace is ok all the way through', () => {
  const result = replay(productiveSession(20));
  assert.deepEqual(result.verdict, { result: 'ok' });
  assert.equal(result.turns.length, 20);
  assert.match(formatReplay(result), /\nverdict: ok \(the guard would not pause or stop this session\)$/);
});

test('replay starts at the tier the trace was recorded at, and follows a change the user made', () => {
  const t = turns();
  const loop = (tier: TraceTurn['tier']) => Array.from({ length: 9 }, () => ({ ...t([cmd('npm test', jestFail('test/a.test.ts', 'a › b', '1', '2'), 1)]), tier }));
  // Flex has no cheaper tier: the step that would lower it is skipped, and the pause comes sooner.
  const flex = replay(loop('flex'));
  assert.deepEqual(flex.turns.map(r => r.action), ['none', 'nudge', 'none', 'pause']);
  assert.equal(replay(loop('flex'), {}, { headless: true }).verdict.result, 'stop');
  const priority = replay(loop('priority'));
  assert.equal(priority.turns[3]!.action, 'downgrade');
  assert.match(priority.turns[3]!.reason ?? '', /priority to standard/);
  // Recorded after the guard lowered it, the tier is the guard's own step; a change of the user's own is followed.
  const moved = loop('standard').map((turn, i) => (i >= 2 ? { ...turn, tier: 'flex' as const } : turn));
  assert.deepEqual(replay(moved).turns.map(r => r.action), ['none', 'nudge', 'none', 'pause']);
  assert.throws(() => parseTrace(JSON.stringify({ turn: 1, toolCalls: [], filesChanged: [], tier: 'turbo' }), 't.jsonl'), /"tier" must be one of priority, standard, flex/);
});

test('replay honours the settings it is given', () => {
  const t = turns();
  const trace = Array.from({ length: 6 }, () => t([cmd('npm test', 'FAIL x', 1)]));
  assert.equal(replay(trace, { enabled: false }).verdict.result, 'ok');
  assert.deepEqual(replay(trace, { escalateAfter: 1 }).turns.map(r => r.action), ['none', 'nudge', 'downgrade', 'pause']);
});
