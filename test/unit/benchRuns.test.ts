// Several runs of a benchmark as one result (bench/runs.ts): the median of each figure, and a target met
// when most runs met it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { medianOfRuns, medianRun } from '../../bench/runs';
import { atMost, type BenchResult } from '../../bench/types';

const run = (p99: number, activate: number, note: string): BenchResult => ({
  title: 'Editor',
  method: `method ${note}`,
  figures: [
    { name: 'p99', value: p99, unit: 'ms', ...atMost(p99, 5, 'ms') },
    { name: 'activate()', value: activate, unit: 'ms', ...atMost(activate, 10, 'ms') },
    { name: 'agent host CPU', value: activate * 2, unit: 's' },
  ],
  extra: `notes ${note}`,
});

test('each figure is the median of the runs, and its target is judged on that median', () => {
  const runs = [run(6.8, 4, 'a'), run(4.2, 12, 'b'), run(6.1, 9, 'c')];
  const r = medianOfRuns(runs, medianRun(runs, x => x.figures[0]!.value));
  assert.deepEqual(r.figures.map(f => [f.name, f.value, f.ok]), [['p99', 6.1, false], ['activate()', 9, true], ['agent host CPU', 18, undefined]]);
  // The notes are those of the run whose p99 is the median (6.1, the third).
  assert.equal(r.extra, 'notes c');
  assert.equal(r.method, 'method c');
});

test('a target met by most runs is met; one met by a single run is not', () => {
  const met = medianOfRuns([run(4.9, 1, 'a'), run(7, 1, 'b'), run(3, 1, 'c')], 0);
  assert.equal(met.figures[0]!.value, 4.9);
  assert.equal(met.figures[0]!.ok, true);
  const missed = medianOfRuns([run(4.9, 1, 'a'), run(7, 1, 'b'), run(5.1, 1, 'c')], 0);
  assert.equal(missed.figures[0]!.value, 5.1);
  assert.equal(missed.figures[0]!.ok, false);
});

test('one run is itself; an even number of runs, or a missing one, is refused', () => {
  const one = run(4, 5, 'only');
  assert.deepEqual(medianOfRuns([one], 0), one);
  assert.throws(() => medianOfRuns([one, one], 0), /odd number of runs/);
  assert.throws(() => medianOfRuns([one, one, one], 3), /no run 3/);
});

test('a figure only some runs have is reported as the typical run has it', () => {
  const extra = run(4, 5, 'x');
  extra.figures.push({ name: 'late ticks', value: 1.5, unit: '%' });
  const r = medianOfRuns([run(3, 5, 'a'), extra, run(5, 5, 'c')], 1);
  assert.deepEqual(r.figures.find(f => f.name === 'late ticks'), { name: 'late ticks', value: 1.5, unit: '%' });
});

test('the median run is found by its key, ties in the runs\' order', () => {
  assert.equal(medianRun([{ k: 3 }, { k: 1 }, { k: 2 }], r => r.k), 2);
  assert.equal(medianRun([{ k: 1 }, { k: 1 }, { k: 1 }], r => r.k), 1);
  assert.equal(medianRun([{ k: 9 }], r => r.k), 0);
});
