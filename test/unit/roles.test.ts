// Role files (.switchyard/roles/<name>.md): their front matter read as a user writes it, and a file that is
// wrong said so, with the reason, instead of a role that quietly lost its tools.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadRoles, parseRoleFile } from '../../src/host/agent/roles';
import { engineFor, noProgress, upstream } from './helpers/engineKit';

const role = (front: string) => `---\n${front}\n---\nTriage the failing build.\n`;

test('a tools list is read bare, in brackets or quoted, and always has finish', () => {
  for (const front of ['tools: read_file, search', 'tools: [read_file, search]', 'tools: ["read_file", \'search\']', 'tools: [ read_file , search , finish ]']) {
    assert.deepEqual(parseRoleFile('triage', role(front)).tools, ['read_file', 'search', 'finish'], front);
  }
  assert.equal(parseRoleFile('triage', role('tier: flex')).tools, undefined, 'no list: every tool');
});

test('an unknown tool, tier or budget makes the file an error that names it', () => {
  assert.throws(() => parseRoleFile('triage', role('tools: [read_file, fly]')), /"fly" is not a tool; the tools are list_files, read_file, search, write_file, apply_patch, run_command, finish/);
  assert.throws(() => parseRoleFile('triage', role('tools: read, write')), /"read", "write" are not tools/);
  assert.throws(() => parseRoleFile('triage', role('tier: turbo')), /tier must be one of/);
  assert.throws(() => parseRoleFile('triage', role('budgetUsd: lots')), /budgetUsd must be a number/);
  assert.throws(() => parseRoleFile('triage', role('budgetUsd: 0')), /budgetUsd must be a number of dollars above 0/);
  assert.throws(() => parseRoleFile('Triage', role('tier: flex')), /lowercase/);
  // A misspelt key is no setting at all: the budget it meant would not hold.
  for (const key of ['budget', 'budgetUSD', 'budget_usd']) assert.throws(() => parseRoleFile('triage', role(`${key}: 0.05`)), new RegExp(`"${key}" is not a role setting \\(use description, tier, budgetUsd, tools\\)`));
  assert.throws(() => parseRoleFile('triage', role('budgetUsd: 0x10')), /budgetUsd must be a number/, 'not $16');
  assert.equal(parseRoleFile('triage', role('budgetUsd: $0.50\n# a comment\n\ndescription: Triage')).budgetUsd, 0.5);
});

test('a session asking for a role whose file was ignored is refused with the file\'s problem', async t => {
  const up = await upstream(t);
  const { engine, repo } = await engineFor(t, { up });
  mkdirSync(path.join(repo, '.switchyard', 'roles'), { recursive: true });
  writeFileSync(path.join(repo, '.switchyard', 'roles', 'triage.md'), role('tools: [read_file, fly]'));
  const warnings: string[] = [];
  assert.equal((await loadRoles(repo, w => warnings.push(w))).some(r => r.name === 'triage'), false);
  assert.match(warnings.join('\n'), /triage\.md ignored: tools: "fly" is not a tool/);
  await assert.rejects(
    engine.sessions.create({ repo, task: 'triage', role: 'triage' }, noProgress),
    /There is no role "triage" \(Role .*triage\.md ignored: tools: "fly" is not a tool.*\)\. Roles: coder, reviewer, test-fixer\./,
  );
});
