// The `sessions` table: one row per session, and whose repository each is when they come from several.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../../src/cli/commands/sessions';
import type { SessionInfo } from '../../src/protocol/types';

const session = (id: string, repo: string, over: Partial<SessionInfo> = {}): SessionInfo => ({
  id, repo, status: 'done', tier: 'standard', costUsd: 0.0123, title: 'Fix the parser', branch: 'switchyard/fix-the-parser',
  usage: { input: 1000, cached: 800, output: 100, reasoning: 0, requests: 2 }, unpricedRequests: 0, estimatedRequests: 0,
  ...over,
}) as unknown as SessionInfo;

test('sessions of one repository need no REPO column; of several, each row says whose it is', () => {
  const one = formatTable([session('a1', '/work/app'), session('a2', '/work/app')]).split('\n');
  assert.deepEqual(one[0]!.split(/\s+/), ['ID', 'STATUS', 'TIER', 'COST', 'CACHED', 'REQS', 'BRANCH', 'TITLE']);
  const two = formatTable([session('a1', '/work/app'), session('b1', '/work/lib')]).split('\n');
  assert.deepEqual(two[0]!.split(/\s+/), ['ID', 'STATUS', 'TIER', 'COST', 'CACHED', 'REQS', 'REPO', 'BRANCH', 'TITLE']);
  assert.match(two[1]!, /^a1\s+done\s+standard\s+\$0\.0123\s+80%\s+2\s+app\s+switchyard\/fix-the-parser\s+Fix the parser$/);
  assert.match(two[2]!, /^b1 .* lib\s+switchyard\/fix-the-parser\s+Fix the parser$/);
});

test('costs are shown as report shows them: `~` and a line under the table for estimates, `unpriced` rather than $0', () => {
  const lines = formatTable([
    session('a1', '/work/app', { estimatedRequests: 1 }),
    session('a2', '/work/app'),
    session('a3', '/work/app', { costUsd: 0, unpricedRequests: 2 }),
    session('a4', '/work/app', { estimatedRequests: 2 }),
  ]).split('\n');
  const cost = (line: string) => line.split(/\s{2,}/)[3];
  assert.deepEqual(lines.slice(1, 5).map(cost), ['$0.0123~', '$0.0123', 'unpriced', '$0.0123~']);
  // The words `report` uses, counting every session's estimated requests.
  assert.equal(lines[5], '~ includes 3 estimated requests (their usage never came or could not be read, as when a stream is cut; or they were served at a tier without a price here)');
  assert.equal(lines.length, 6);
  // An unpriced session no longer widens every row's COST column to `$0.0000+unpriced`.
  assert.equal(lines[0]!.indexOf('CACHED') - lines[0]!.indexOf('COST'), 'unpriced'.length + 2);
  assert.equal(formatTable([session('a1', '/work/app')]).split('\n').length, 2, 'exact figures: no legend');
});
