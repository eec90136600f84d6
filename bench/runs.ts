// Several runs of one benchmark as one result: on a shared machine a single run of a latency figure swings
// by more than the margin its target leaves.
import { median, type BenchResult, type Figure } from './types';

/**
 * Every figure is the median of the runs, so their number must be odd: the median is then one run's value,
 * and its target is met exactly when most runs met it. Method and notes are those of run `typical`.
 */
export function medianOfRuns(runs: readonly BenchResult[], typical: number): BenchResult {
  if (runs.length % 2 === 0) throw new Error(`expected an odd number of runs, got ${runs.length}`);
  const base = runs[typical];
  if (!base) throw new Error(`no run ${typical} among ${runs.length}`);
  const figures = base.figures.map((f): Figure => {
    const same = runs.map(r => r.figures.find(g => g.name === f.name));
    if (same.some(g => g === undefined)) return f;
    const values = same.map(g => g!.value);
    const met = same.filter(g => g!.ok).length;
    return { ...f, value: median(values), ...(f.ok !== undefined ? { ok: met * 2 > runs.length } : {}) };
  });
  return { ...base, figures };
}

/** The index of the run whose `key` is the median (ties keep the runs' order). */
export function medianRun<T>(runs: readonly T[], key: (r: T) => number): number {
  const order = [...runs.keys()].sort((a, b) => key(runs[a]!) - key(runs[b]!));
  return order[(runs.length - 1) >> 1]!;
}
