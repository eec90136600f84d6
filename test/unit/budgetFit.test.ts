import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitRequest, type FitRequest, type ScopeState } from '../../src/host/budgets/fit';
import { worstCaseMicro } from '../../src/host/pricing/cost';
import { dearestUnitPrice, loadPriceTable } from '../../src/host/pricing/priceTable';

// gpt-5.5's dearest tier is priority: $12.50 input (and cache write), $75 output per million tokens,
// i.e. 12.5 and 75 micro-dollars per token.
const p = dearestUnitPrice(loadPriceTable(), 'gpt-5.5')!;
const req = (over: Partial<FitRequest> = {}): FitRequest => ({
  inputUnits: p.input, outputUnits: p.output, estimatedInputTokens: 10_000, maxOutputTokens: 4_000, minOutputTokens: 256, ...over,
});
const day = (capMicro: number, spentMicro = 0, reservedMicro = 0): ScopeState => ({ scope: 'day', capMicro, spentMicro, reservedMicro });

test('a request that fits is reserved at its worst case: all input uncached, every output token, dearest tier', () => {
  // 10,000 x 12.5 = 125,000 + 4,000 x 75 = 300,000 => 425,000 micro-dollars
  assert.deepEqual(fitRequest(req(), [day(1_000_000)]), { ok: true, maxOutputTokens: 4_000, reserveMicro: 425_000, shrunk: false });
  assert.deepEqual(fitRequest(req(), [day(425_000)]), { ok: true, maxOutputTokens: 4_000, reserveMicro: 425_000, shrunk: false });
  assert.deepEqual(fitRequest(req(), []), { ok: true, maxOutputTokens: 4_000, reserveMicro: 425_000, shrunk: false });
});

test('when the full request does not fit, the output cap shrinks to what does', () => {
  // Left: 300,000 - 50,000 spent - 20,000 reserved = 230,000; input takes 125,000; (230,000 - 125,000) / 75 = 1,400
  assert.deepEqual(fitRequest(req(), [day(300_000, 50_000, 20_000)]), { ok: true, maxOutputTokens: 1_400, reserveMicro: 230_000, shrunk: true });
  // 230,074 left: still 1,400 (1,401 would need 230,075)
  assert.equal((fitRequest(req(), [day(230_074)]) as { maxOutputTokens: number }).maxOutputTokens, 1_400);
});

test('below the floor it refuses, naming the cap and what the smallest request needs', () => {
  // 1,400 output tokens fit but the floor is 2,000: needs 125,000 + 2,000 x 75 = 275,000
  assert.deepEqual(fitRequest(req({ minOutputTokens: 2_000 }), [day(300_000, 50_000, 20_000)]), {
    ok: false, scope: 'day', capMicro: 300_000, spentMicro: 50_000, reservedMicro: 20_000, neededMicro: 275_000,
  });
  // Not even the input fits.
  assert.equal(fitRequest(req(), [day(100_000)]).ok, false);
  // Already over the cap (a request used more than estimated).
  assert.equal(fitRequest(req({ estimatedInputTokens: 0 }), [day(100, 200)]).ok, false);
});

test('the tightest of several caps decides', () => {
  const session: ScopeState = { scope: 'session', capMicro: 10_000_000, spentMicro: 0, reservedMicro: 0 };
  const month: ScopeState = { scope: 'month', capMicro: 50_000_000, spentMicro: 49_800_000, reservedMicro: 0 };
  const d = fitRequest(req({ minOutputTokens: 1_001 }), [session, day(5_000_000), month]);
  assert.equal(d.ok, false);
  assert.equal(d.ok === false && d.scope, 'month');
  // With a smaller floor it fits in the month's 200,000: (200,000 - 125,000) / 75 = 1,000
  assert.deepEqual(fitRequest(req({ minOutputTokens: 256 }), [session, day(5_000_000), month]), { ok: true, maxOutputTokens: 1_000, reserveMicro: 200_000, shrunk: true });
});

test('the floor never exceeds what was asked for', () => {
  // Asked for 100 output tokens with a floor of 256: the floor is 100.
  assert.deepEqual(fitRequest(req({ maxOutputTokens: 100 }), [day(132_500)]), { ok: true, maxOutputTokens: 100, reserveMicro: 132_500, shrunk: false });
  assert.equal(fitRequest(req({ maxOutputTokens: 100 }), [day(132_499)]).ok, false);
});

test('rounding is up, so a reservation is never below the exact worst case', () => {
  // gpt-5.2 flex cached price 0.0875 => 1 input token at the dearest input price ($3.50 priority) = 3.5 micro-dollars => 4
  const q = dearestUnitPrice(loadPriceTable(), 'gpt-5.2')!;
  assert.equal(worstCaseMicro(q.input, q.output, 1, 0), 4);
  const d = fitRequest({ inputUnits: q.input, outputUnits: q.output, estimatedInputTokens: 1, maxOutputTokens: 1, minOutputTokens: 1 }, [day(31)]);
  // 3.5 + 28 = 31.5 => 32 > 31: refused
  assert.equal(d.ok, false);
});

test('free output (a zero price) fits whenever the input does', () => {
  assert.deepEqual(fitRequest(req({ outputUnits: 0n }), [day(125_000)]), { ok: true, maxOutputTokens: 4_000, reserveMicro: 125_000, shrunk: false });
});

test('nonsense counts are refused', () => {
  assert.throws(() => fitRequest(req({ estimatedInputTokens: -1 }), []), RangeError);
  assert.throws(() => fitRequest(req({ maxOutputTokens: 0 }), []), /maxOutputTokens/);
  assert.throws(() => fitRequest(req({ maxOutputTokens: 1.5 }), []), RangeError);
});
