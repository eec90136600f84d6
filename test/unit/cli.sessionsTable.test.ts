// The `sessions` table: one row per session, and whose repository each is when they come from several.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTable } from '../../src/cli/commands/sessions';
import { columnsOf, cutEnd } from '../../src/cli/fitTable';
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

test('on a terminal every line fits: ids, statuses and figures whole, titles and branches cut with "…", the branch left out where the title would be cut short; piped, nothing is cut', () => {
  const long = { title: 'Make the parser accept trailing commas in every list it reads, and say where one is missing', branch: 'switchyard/make-the-parser-accept-trailing-commas-in-every-list' };
  const list = [session('k3v9x2a1', '/work/app', { ...long, status: 'over-budget', estimatedRequests: 1 }), session('b7c2d4e5', '/work/lib', { costUsd: 12.5 })];
  const wide = formatTable(list, 120).split('\n');
  for (const line of wide) assert.ok(line.length <= 120, `${line.length}: ${line}`);
  assert.match(wide[0]!, /^ID\s+STATUS\s+TIER\s+COST\s+CACHED\s+REQS\s+REPO\s+BRANCH\s+TITLE$/);
  assert.match(wide[1]!, /^k3v9x2a1\s+over-budget\s+standard\s+\$0\.0123~\s+80%\s+2\s+app\s+switchyard\/make-the-\S*…\s+Make the parser \S.*…$/);
  assert.match(wide[2]!, /^b7c2d4e5\s+done\s+standard\s+\$12\.5000\s+80%\s+2\s+lib\s+switchyard\/fix-the-parser\s+Fix the parser$/);

  const lines = formatTable(list, 80).split('\n');
  for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  assert.match(lines[0]!, /^ID\s+STATUS\s+TIER\s+COST\s+CACHED\s+REQS\s+REPO\s+TITLE$/);
  assert.match(lines[1]!, /^k3v9x2a1\s+over-budget\s+standard\s+\$0\.0123~\s+80%\s+2\s+app\s+Make the parser\S* .*…$/);
  // The legend is wrapped, not cut: every word of it is there.
  assert.equal(lines.slice(3).map(l => l.trim()).join(' '), '~ includes 1 estimated request (its usage never came or could not be read, as when a stream is cut; or it was served at a tier without a price here)');

  const piped = formatTable(list).split('\n');
  assert.ok(piped[1]!.endsWith(long.title) && piped[1]!.includes(long.branch), piped[1]);
  // A terminal too narrow for the figures themselves: names at their least, no figure cut.
  const narrow = formatTable(list, 40).split('\n');
  assert.match(narrow[1]!, /^k3v9x2a1\s+over-budget\s+standard\s+\$0\.0123~\s+80%\s+2\s+app\s+Make the parser…$/);
});

test('a title in CJK or with emoji is measured in the columns a terminal gives it: every line still fits', () => {
  const list = [session('k3v9x2a1', '/work/app', { title: '修复解析器以接受每个列表中的尾随逗号并报告缺少的位置 🚀✨', branch: 'switchyard/fix-parser' })];
  for (const line of formatTable(list, 80).split('\n')) assert.ok(columnsOf(line) <= 80, `${columnsOf(line)}: ${line}`);
  assert.equal(columnsOf('修复'), 4);
  // As terminals draw them (Unicode's emoji presentation), not as the measure used here says.
  assert.equal(columnsOf('🚀✅✨⚡'), 8);
  assert.equal(columnsOf('❤️'), 2, 'a symbol made an emoji by its selector');
  assert.equal(columnsOf('→ ok'), 4);
  const emoji = [session('k3v9x2a1', '/work/app', { title: '🚀✅'.repeat(40), branch: 'switchyard/rockets' })];
  for (const line of formatTable(emoji, 80).split('\n')) assert.ok(columnsOf(line) <= 80 && line.length <= 80 * 2, line);
  assert.equal(columnsOf('e\u0301'), 1, 'a combining accent takes no column of its own');
  assert.equal(cutEnd('修复解析器', 6), '修复…', 'cut on a whole character, the ellipsis in the last column');
});
