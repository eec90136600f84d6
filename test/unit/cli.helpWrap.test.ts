import assert from 'node:assert/strict';
import { test } from 'node:test';
import { wrapLine } from '../../src/cli/helpWrap';
import { runCli } from './helpers/cli';

test('a help line too long for 80 columns wraps at spaces, its continuation under its own text', () => {
  const line = `  discard    ${"Remove a session's worktree and more words ".repeat(4).trim()}`;
  const lines = wrapLine(line, 13);
  assert.ok(lines.length > 1);
  assert.ok(lines.every(l => l.length <= 80), lines.join('\n'));
  assert.ok(lines[0]!.startsWith('  discard    Remove'), 'the name column keeps its spaces');
  assert.ok(lines.slice(1).every(l => /^ {13}\S/.test(l)), lines.join('\n'));
  assert.equal(lines.join(' ').replace(/ +/g, ' '), line.replace(/ +/g, ' '), 'no word lost');
  assert.deepEqual(wrapLine('short', 4), ['short']);
  // A word longer than a line stays whole rather than being cut.
  assert.deepEqual(wrapLine(`x ${'y'.repeat(90)}`, 2), ['x', `  ${'y'.repeat(90)}`]);
});

test('every help the CLI prints fits 80 columns', async () => {
  for (const args of [['--help'], ...['run', 'sessions', 'resume', 'merge', 'discard', 'report', 'replay', 'trace'].map(c => [c, '--help'])]) {
    const r = await runCli(args, {});
    assert.equal(r.code, 0, r.stderr);
    const long = r.stdout.split('\n').filter(l => l.length > 80);
    assert.deepEqual(long, [], `switchyard ${args.join(' ')}`);
  }
});
