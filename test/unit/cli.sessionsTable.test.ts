// The `sessions` table: one row per session, and whose repository each is when they come from several.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../../src/cli/commands/sessions';
import type { SessionInfo } from '../../src/protocol/types';

const session = (id: string, repo: string): SessionInfo => ({
  id, repo, status: 'done', tier: 'standard', costUsd: 0.0123, title: 'Fix the parser', branch: 'switchyard/fix-the-parser',
  usage: { input: 1000, cached: 800, output: 100, reasoning: 0, requests: 2 },
}) as unknown as SessionInfo;

test('sessions of one repository need no REPO column; of several, each row says whose it is', () => {
  const one = formatTable([session('a1', '/work/app'), session('a2', '/work/app')]).split('\n');
  assert.deepEqual(one[0]!.split(/\s+/), ['ID', 'STATUS', 'TIER', 'COST', 'CACHED', 'REQS', 'BRANCH', 'TITLE']);
  const two = formatTable([session('a1', '/work/app'), session('b1', '/work/lib')]).split('\n');
  assert.deepEqual(two[0]!.split(/\s+/), ['ID', 'STATUS', 'TIER', 'COST', 'CACHED', 'REQS', 'REPO', 'BRANCH', 'TITLE']);
  assert.match(two[1]!, /^a1\s+done\s+standard\s+\$0\.0123\s+80%\s+2\s+app\s+switchyard\/fix-the-parser\s+Fix the parser$/);
  assert.match(two[2]!, /^b1 .* lib\s+switchyard\/fix-the-parser\s+Fix the parser$/);
});
