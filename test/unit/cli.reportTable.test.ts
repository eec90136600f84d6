// `switchyard report`'s text table: a cost that includes estimates is marked and the legend says how many
// requests were estimated; unpriced requests are never shown as $0; exact, priced tables carry no legend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESTIMATE_MARK, reportTable } from '../../src/cli/reportTable';
import type { ReportRow } from '../../src/protocol/spend';

function row(key: string, over: Partial<ReportRow> & { requests?: number } = {}): ReportRow {
  const requests = over.requests ?? 2;
  return {
    key,
    label: key,
    usage: { input: 1000 * requests, cached: 500 * requests, cacheWrite: 0, output: 100 * requests, reasoning: 0, requests },
    costUsd: 0.01 * requests,
    unpricedRequests: 0,
    estimatedRequests: 0,
    priorityPremiumUsd: 0,
    ...over,
  };
}

const columns = (line: string) => line.split(/\s{2,}/);

test('a cost that includes estimated requests is marked, and TOTAL and a legend say how many', () => {
  const text = reportTable([row('2026-11-05', { estimatedRequests: 1 }), row('2026-11-06'), row('2026-11-07', { requests: 3, estimatedRequests: 2 })], 'day');
  const lines = text.split('\n');
  assert.deepEqual(columns(lines[0]!), ['DAY', 'REQS', 'INPUT', 'CACHED', 'OUTPUT', 'COST', 'PRIORITY+', 'UNPRICED']);
  assert.equal(columns(lines[1]!)[5], `$0.0200${ESTIMATE_MARK}`);
  assert.equal(columns(lines[2]!)[5], '$0.0200', 'an exact figure carries no mark');
  assert.equal(columns(lines[3]!)[5], `$0.0300${ESTIMATE_MARK}`);
  assert.equal(columns(lines[4]!)[0], 'TOTAL');
  assert.equal(columns(lines[4]!)[5], `$0.0700${ESTIMATE_MARK}`);
  assert.equal(lines[5], `${ESTIMATE_MARK} includes 3 estimated requests (their usage never came or could not be read, as when a stream is cut; or they were served at a tier without a price here)`);
  assert.equal(lines.length, 6);
  // The marked and unmarked costs still line up: the mark follows the figure.
  assert.equal(lines[1]!.indexOf('$'), lines[2]!.indexOf('$'));
  for (const line of lines) assert.equal(line, line.trimEnd());
});

test('one estimated request in one row: the legend says so in the singular', () => {
  const lines = reportTable([row('s1', { label: 'Fix tests', requests: 1, estimatedRequests: 1 })], 'session').split('\n');
  assert.equal(columns(lines[1]!)[0], 'Fix tests [s1]');
  assert.equal(columns(lines[1]!)[5], `$0.0100${ESTIMATE_MARK}`);
  assert.equal(lines[2], `${ESTIMATE_MARK} includes 1 estimated request (its usage never came or could not be read, as when a stream is cut; or it was served at a tier without a price here)`);
});

test('unpriced requests: counted in their column, never a $0 cost, and the legend says they are not in COST', () => {
  const text = reportTable([row('gpt-5.4'), row('local-llama', { costUsd: 0, unpricedRequests: 2 }), row('mixed', { costUsd: 0.01, unpricedRequests: 1 })], 'model');
  const lines = text.split('\n');
  assert.deepEqual(columns(lines[2]!).slice(5), ['unpriced', '-', '2']);
  assert.deepEqual(columns(lines[3]!).slice(5), ['$0.0100', '-', '1']);
  assert.deepEqual(columns(lines[4]!).slice(5), ['$0.0300', '-', '3']);
  assert.equal(lines[5], 'UNPRICED: requests to a model without a price, counted in tokens but not in COST');
});

test('an exact, priced report has no legend, and an empty one says so', () => {
  const lines = reportTable([row('priority', { priorityPremiumUsd: 0.01 }), row('standard')], 'tier').split('\n');
  assert.equal(lines.length, 4, 'a header, two rows and their total');
  assert.deepEqual(columns(lines[1]!).slice(5), ['$0.0200', '$0.0100', '-']);
  assert.equal(reportTable([], 'day'), 'No spend recorded.');
});

test('by session, two sessions of the same title are told apart by their ids', () => {
  const lines = reportTable([row('a1b2c3', { label: 'Fix the parser (app)' }), row('d4e5f6', { label: 'Fix the parser (app)' }), row('gone99')], 'session').split('\n');
  assert.deepEqual(lines.slice(1, 4).map(l => columns(l)[0]), ['Fix the parser (app) [a1b2c3]', 'Fix the parser (app) [d4e5f6]', 'gone99']);
});

test('on a terminal a session\'s label is cut before its id, and the table and its legend fit the width', () => {
  const rows = [row('k3v9x2a1', { label: 'Make the parser accept trailing commas in every list', estimatedRequests: 1, usage: { input: 12_345_678, cached: 11_000_000, cacheWrite: 0, output: 98_765, reasoning: 0, requests: 412 } }), row('b7c2d4e5', { label: 'Docs' })];
  const lines = reportTable(rows, 'session', undefined, 80).split('\n');
  for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  // PRIORITY+ and UNPRICED say nothing here: left out, for the label.
  assert.match(lines[0]!, /^SESSION\s+REQS\s+INPUT\s+CACHED\s+OUTPUT\s+COST$/);
  assert.match(lines[1]!, /^Make the parser \S.*… \[k3v9x2a1\]\s+412\s+12345678\s+11000000\s+98765\s+\$0\.0200~$/);
  assert.match(lines[2]!, /^Docs \[b7c2d4e5\]\s+2\s/);
  assert.match(lines[3]!, /^TOTAL/);
  assert.match(lines[4]!, /^~ includes 1 estimated request/);
  assert.ok(lines.length > 5 && lines.slice(5).every(l => l.startsWith('  ')), 'the legend\'s continuations are indented');
  const piped = reportTable(rows, 'session').split('\n');
  assert.ok(piped[1]!.startsWith('Make the parser accept trailing commas in every list [k3v9x2a1]'), 'piped, nothing is cut');
  assert.match(piped[0]!, /PRIORITY\+\s+UNPRICED$/, 'nor left out');
  // A column with something to say stays on a terminal.
  assert.match(reportTable([...rows, row('c0ffee00', { label: 'Review', unpricedRequests: 1 })], 'session', undefined, 80).split('\n')[0]!, /COST\s+UNPRICED$/);
});

test('on a narrow terminal with every column shown, a session\'s id (ten characters, as made) is never cut', () => {
  const rows = [
    row('030b1e23d1', { label: 'Make the parser accept trailing commas in every list', priorityPremiumUsd: 0.01, unpricedRequests: 1, usage: { input: 12_345_678, cached: 11_000_000, cacheWrite: 0, output: 98_765, reasoning: 0, requests: 412 } }),
    row('7f2e54c227', { label: 'Docs' }),
  ];
  const lines = reportTable(rows, 'session', undefined, 80).split('\n');
  for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(lines[0]!, /PRIORITY\+\s+UNPRICED$/);
  assert.match(lines[1]!, /^Ma\S*… \[030b1e23d1\]\s/);
  assert.match(lines[2]!, /^Do\S* \[7f2e54c227\]\s/);
});

