import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { PALETTE_KEYS, PaletteContext, paletteKeys } from '../../src/extension/paletteContext';
import type { SessionStatus } from '../../src/protocol/types';
import { sessionInfo } from './helpers/sessionInfo';

test('the palette offers a session command only while some session can take it', () => {
  const keys = (...statuses: SessionStatus[]) => Object.entries(paletteKeys(statuses.map(status => sessionInfo({ status })))).filter(([, on]) => on).map(([k]) => k.replace('switchyard.', '')).sort();
  assert.deepEqual(keys(), []);
  assert.deepEqual(keys('done'), ['anyDiscardable', 'anyMergeable', 'anyOpen', 'anySession']);
  assert.deepEqual(keys('waiting'), ['anyActive', 'anyDiscardable', 'anyOpen', 'anyRunnable', 'anySession', 'anyStoppable', 'anyWaiting']);
  assert.deepEqual(keys('failed', 'merged'), ['anyDiscardable', 'anyFailed', 'anyMergeable', 'anyOpen', 'anyResumable', 'anyRunnable', 'anySession']);
  assert.deepEqual(keys('merged', 'discarded'), ['anySession']);
  // A merge that could not remove its worktree leaves something to discard.
  assert.equal(paletteKeys([sessionInfo({ status: 'merged', worktreeKept: true })])['switchyard.anyDiscardable'], true);
});

test('only keys that change are set again: a fleet changes sessions several times a second', () => {
  const set: string[] = [];
  const palette = new PaletteContext((key, value) => set.push(`${key}=${value}`));
  palette.update([]);
  assert.equal(set.length, Object.keys(PALETTE_KEYS).length);
  set.length = 0;
  palette.update([]);
  assert.deepEqual(set, []);
  palette.update([sessionInfo({ status: 'failed' })]);
  assert.deepEqual(set.sort(), ['anyDiscardable', 'anyFailed', 'anyMergeable', 'anyOpen', 'anyResumable', 'anyRunnable', 'anySession'].map(k => `switchyard.${k}=true`));
});

test('every key the palette\'s when clauses name is one that is set, and every key set is named', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { menus: { commandPalette: { when?: string }[] } } };
  const named = new Set(manifest.contributes.menus.commandPalette.flatMap(m => m.when?.match(/switchyard\.any\w+/g) ?? []));
  assert.deepEqual([...named].sort(), Object.keys(PALETTE_KEYS).sort());
});
