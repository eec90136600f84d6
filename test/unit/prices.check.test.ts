// Price overrides are checked alike where they are typed (VS Code) and where a CLI run reads them back
// (config.json): what the editor saves is never refused by the CLI.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseMachineConfig, readMachineConfig, writeMachineConfig } from '../../src/host/machineConfig';
import { withDefaults } from '../../src/host/settings';
import { loadPriceTable } from '../../src/host/pricing/priceTable';
import { goodPrices, pricesProblem } from '../../src/protocol/prices';

test('a price override is a model of tiers of prices; the table\'s tier aliases and cacheWrite are taken, anything else is named', () => {
  const good = { 'my-model': { standard: { input: 1, cachedInput: 0.1, output: 4 }, fast: { input: 2, cachedInput: 0.2, output: 8, cacheWrite: 2.5 } } };
  assert.equal(pricesProblem(good), undefined);
  assert.doesNotThrow(() => loadPriceTable(good), 'what passes, the price table takes');
  for (const [bad, said] of [
    [[], /^"prices" should be an object of models$/],
    [{ m: 'free' }, /^prices\.m should be an object of tiers/],
    [{ m: { turbo: { input: 1, cachedInput: 1, output: 1 } } }, /^prices\.m\.turbo is not a tier/],
    [{ m: { standard: { input: 1, output: 1 } } }, /^prices\.m\.standard has no cachedInput$/],
    [{ m: { standard: { input: 1, cachedInput: 1, output: 1, note: 'x' } } }, /^prices\.m\.standard\.note is not a price/],
    // A misspelt field is named, not the field it stands for as missing.
    [{ m: { standard: { input: 1, cachedInput: 1, ouput: 1 } } }, /^prices\.m\.standard\.ouput is not a price \(input, cachedInput, output, cacheWrite\)$/],
    [{ m: { standard: { input: '1', cachedInput: 1, output: 1 } } }, /^prices\.m\.standard\.input should be a number of dollars per million tokens \(0 to 1,000,000\), not "1"$/],
    // One the price table would refuse (dropping every override with it) is refused where it is typed.
    [{ m: { standard: { input: 2_000_000, cachedInput: 1, output: 1 } } }, /^prices\.m\.standard\.input should be a number of dollars per million tokens \(0 to 1,000,000\), not 2000000$/],
    [{ ' ': { standard: { input: 1, cachedInput: 1, output: 1 } } }, /^"prices" names a model with no name$/],
    [{ m: { standard: { input: 1, cachedInput: 1, output: 1, cacheWrite: -1 } } }, /cacheWrite should be a number/],
  ] as const) assert.match(pricesProblem(bad) ?? '', said, JSON.stringify(bad));
});

test('one bad override leaves out its own model; the others are kept, and each bad one is named', () => {
  const good = { standard: { input: 1, cachedInput: 0.1, output: 4 } };
  const split = goodPrices({ a: good, b: { standard: { input: 1, output: 4 } }, c: 'free', d: good });
  assert.deepEqual(split?.prices, { a: good, d: good });
  assert.deepEqual(split?.problems, [
    { model: 'b', problem: 'prices.b.standard has no cachedInput' },
    { model: 'c', problem: 'prices.c should be an object of tiers (standard, priority, flex, default, fast)' },
  ]);
  assert.equal(goodPrices([]), undefined, 'not an object of models: for the caller to refuse whole');
  assert.doesNotThrow(() => loadPriceTable(split?.prices as never));
});

test('what the editor saves in config.json, a CLI run reads back as it was', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'sy-prices-'));
  const settings = withDefaults({ prices: { 'my-model': { priority: { input: 2, cachedInput: 0.2, output: 8, cacheWrite: 2.5 } } }, maxConcurrentSessions: 12 });
  await writeMachineConfig(home, settings);
  const read = await readMachineConfig(home);
  assert.deepEqual(read.prices, settings.prices);
  assert.deepEqual(read.guard, settings.guard);
  assert.equal(read.maxConcurrentSessions, 12);
});

test('a price too large to be a number (1e400 in config.json reads as Infinity) is said as such, not as null', () => {
  const text = '{"prices":{"m":{"standard":{"input":1e400,"cachedInput":0,"output":1}}}}';
  assert.throws(() => parseMachineConfig(text, 'config.json'), (err: Error) => {
    assert.match(err.message, /^config\.json: prices\.m\.standard\.input should be a number of dollars per million tokens \(0 to 1,000,000\), not Infinity \(a number that is not finite\): fix it/);
    return true;
  });
});
