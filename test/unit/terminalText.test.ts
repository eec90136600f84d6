// What the CLI prints of what a model, a command or a file said: text, never terminal control.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { terminalSafe, terminalSafeJson } from '../../src/host/util/terminalText';

test('escape sequences, C0 and C1 controls and direction changes are dropped; line ends, tabs and other text kept', () => {
  assert.equal(terminalSafe('a\u001b[2J\u001b]0;title\u0007b\u009b2Jc\u202ed\u0085e'), 'ab2Jcde');
  assert.equal(terminalSafe('row 1\r\nrow 2\tcell\n┌─┐ 😀 עברית'), 'row 1\r\nrow 2\tcell\n┌─┐ 😀 עברית');
  assert.equal(terminalSafe('over\rwritten'), 'overwritten', 'a carriage return that would print over the line');
  assert.equal(terminalSafe('one\nline', false), 'oneline');
});

test('a JSON line keeps its values: what JSON leaves unescaped is escaped, and parses back whole', () => {
  const value = { t: 'a\u0085b\u202ec\u007f', n: 1 };
  const printed = terminalSafe(terminalSafeJson(JSON.stringify(value)));
  assert.doesNotMatch(printed, /[\u007f-\u009f\u202a-\u202e]/);
  assert.deepEqual(JSON.parse(printed), value);
});
