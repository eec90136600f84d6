// The labelled corpus (test/fixtures/traces): its shape, the guard's results on it, and that the
// committed traces are what the generator produces.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { evaluateCorpus, formatCorpusTable, MAX_DETECTION_DELAY, type TraceLabel } from '../../src/host/guard/corpusReport';
import { readTraceFile } from '../../src/host/guard/trace';

// Tests run from the repository root (npm test and scripts/test-one.mjs both do).
const CORPUS = path.resolve('test/fixtures/traces');
const KINDS = ['repeated-call', 'repeated-error', 'alternation', 'no-progress', 'same-failure', 'text-loop'];

test('the corpus has at least 30 labelled traces, half loops of every kind, half productive', async () => {
  const labels = JSON.parse(await readFile(path.join(CORPUS, 'labels.json'), 'utf8')) as Record<string, TraceLabel>;
  const files = (await readdir(CORPUS)).filter(f => f.endsWith('.jsonl'));
  assert.ok(files.length >= 30, `${files.length} traces`);
  assert.deepEqual(Object.keys(labels).sort(), files.sort(), 'every trace is labelled, every label has a trace');
  const loops = Object.values(labels).filter(l => l.kind !== 'productive');
  assert.ok(loops.length >= 15 && files.length - loops.length >= 15);
  for (const kind of KINDS) assert.ok(loops.filter(l => l.kind === `loop-${kind}`).length >= 2, `at least two ${kind} loops`);
  for (const [file, label] of Object.entries(labels)) {
    const trace = await readTraceFile(path.join(CORPUS, file));
    if (label.kind === 'productive') continue;
    assert.ok(label.onset !== undefined && trace.some(t => t.turn === label.onset), `${file}: onset ${label.onset} is a turn of the trace`);
  }
});

test('on the corpus every loop is caught in time and no productive session is paused or warned', async () => {
  const report = await evaluateCorpus(CORPUS);
  console.log(`\n${formatCorpusTable(report)}\n`);
  assert.deepEqual(report.problems, []);
  for (const t of report.traces) {
    if (t.kind === 'productive') {
      assert.equal(t.verdict.result, 'ok', t.file);
      assert.equal(t.falseAlarm, false, `${t.file}: warned at turn ${t.firstWarn}`);
    } else {
      assert.ok(t.caught && t.delay! <= MAX_DETECTION_DELAY, `${t.file}: first warning ${t.firstWarn}, onset ${t.onset}`);
      assert.notEqual(t.verdict.result, 'ok', t.file);
    }
  }
  const summary = report.byKind.find(k => k.kind === 'productive')!;
  assert.equal(summary.pausedOrStopped, 0);
});

test('the committed traces are exactly what generate.mjs produces', async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'switchyard-corpus-'));
  try {
    const run = spawnSync(process.execPath, [path.join(CORPUS, 'generate.mjs'), '--out', out], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const generated = (await readdir(out)).sort();
    const committed = (await readdir(CORPUS)).filter(f => f.endsWith('.jsonl') || f === 'labels.json').sort();
    assert.deepEqual(generated, committed);
    for (const f of generated) {
      assert.equal(await readFile(path.join(out, f), 'utf8'), await readFile(path.join(CORPUS, f), 'utf8'), `${f} is stale: run node test/fixtures/traces/generate.mjs`);
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
