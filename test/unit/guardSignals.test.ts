import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_GUARD_SETTINGS as S } from '../../src/host/guard/settings';
import {
  alternation,
  detectSignals,
  noProgress,
  repeatedCall,
  repeatedError,
  sameFailure,
  strongestSignal,
  textLoop,
  type Detector,
} from '../../src/host/guard/signals';
import type { TraceTurn } from '../../src/protocol/records';
import { cmd, factsOf, jestFail, productiveSession, read, search, turns, write } from './guardTurns';

/** The detector's verdict at every turn of the sequence. */
function firings(detector: Detector, sequence: TraceTurn[], settings = S): boolean[] {
  const facts = factsOf(sequence);
  return facts.map((_, i) => detector(facts.slice(0, i + 1), settings) !== null);
}
const at = (detector: Detector, sequence: TraceTurn[]) => detector(factsOf(sequence), S);
const failing = () => cmd('npm test', jestFail('test/parser.test.ts', 'parser › nested', '3', '4', 'src/parser.ts'), 1);

test('repeated-call: the same call three times with nothing changed fires, and says which call', () => {
  const t = turns();
  const seq = [t([read('src/config.ts')]), t([read('src/config.ts')]), t([read('src/config.ts')])];
  assert.deepEqual(firings(repeatedCall, seq), [false, false, true]);
  const signal = at(repeatedCall, seq)!;
  assert.equal(signal.kind, 'repeated-call');
  assert.match(signal.reason, /read_file src\/config\.ts called 3 times in a row/);
  assert.equal(signal.strength, 1);
});

test('repeated-call: repeats within the window count even when other calls come between', () => {
  const t = turns();
  const seq = [t([read('a.ts')]), t([read('b.ts')]), t([read('a.ts')]), t([search('x')]), t([read('a.ts')])];
  assert.deepEqual(firings(repeatedCall, seq), [false, false, false, false, true]);
  assert.match(at(repeatedCall, seq)!.reason, /3 times in the last 5 turns/);
});

test('repeated-call: a change in between, a repeat outside the window, or moving on does not fire', () => {
  const t = turns();
  const withEdits = [t([cmd('npm test', 'ok')]), t([write('a.ts', '1')]), t([cmd('npm test', 'ok')]), t([write('a.ts', '2')]), t([cmd('npm test', 'ok')])];
  assert.ok(firings(repeatedCall, withEdits).every(x => !x));
  const u = turns();
  const spread = [u([read('a.ts')]), ...Array.from({ length: 7 }, (_, i) => u([read(`f${i}.ts`)])), u([read('a.ts')]), ...Array.from({ length: 7 }, (_, i) => u([read(`g${i}.ts`)])), u([read('a.ts')])];
  assert.equal(at(repeatedCall, spread), null, 'the first read is outside the 12-turn window');
  const v = turns();
  const movedOn = [v([read('a.ts')]), v([read('a.ts')]), v([read('a.ts')]), v([read('b.ts')])];
  assert.equal(at(repeatedCall, movedOn), null);
});

test('repeated-error: the same failure twice with nothing changed fires, durations and dates aside', () => {
  const t = turns();
  const seq = [t([failing()]), t([read('src/parser.ts')]), t([failing()])];
  assert.deepEqual(firings(repeatedError, seq), [false, false, true]);
  assert.match(at(repeatedError, seq)!.reason, /same error 2 times .*parser › nested/);
});

test('repeated-error: different failures, or an edit in between, do not fire', () => {
  const t = turns();
  const different = [t([failing()]), t([cmd('npm test', jestFail('test/parser.test.ts', 'parser › flat', '1', '2'), 1)])];
  assert.equal(at(repeatedError, different), null);
  const u = turns();
  const edited = [u([failing()]), u([write('src/parser.ts', 'v2')]), u([failing()])];
  assert.equal(at(repeatedError, edited), null);
});

test('repeated-error: retries that differ only by a counter their output echoes are the same error', () => {
  const t = turns();
  const retry = (n: number) =>
    cmd(`node migrate.js --attempt ${n} > /tmp/m${n}.log 2>&1; tail /tmp/m${n}.log`, `attempt ${n}: applying 3 migrations\nError: connect ECONNREFUSED 127.0.0.1:5432\nwrote /tmp/m${n}.log`, 1);
  // Attempt 3 echoes a 3 where attempt 2 did, and where attempt 2 echoed its 2: only the latter is a counter.
  assert.deepEqual(firings(repeatedError, [t([retry(2)]), t([retry(3)]), t([retry(4)])]), [false, true, true]);
  assert.match(at(repeatedError, [t([retry(7)]), t([retry(8)])])!.reason, /The same error 2 times/);
  // Only the value that differs between the two commands is masked: other failures stay other failures.
  const u = turns();
  const suites = [u([cmd('pytest tests/test_1.py 2>&1', 'FAILED tests/test_1.py::test_total - assert 3 == 4', 1)]), u([cmd('pytest tests/test_2.py 2>&1', 'FAILED tests/test_2.py::test_total - assert 5 == 6', 1)])];
  assert.equal(at(repeatedError, suites), null);
  // Nor an exit code that happens to be the counter: exit 2 at attempt 2 is not exit 1 at attempt 1.
  const v = turns();
  assert.equal(at(repeatedError, [v([cmd('./retry.sh 1', 'gave up', 1)]), v([cmd('./retry.sh 2', 'gave up', 2)])]), null);
  // Equal outputs of commands that differ by more than a counter are still the same error, as before.
  const w = turns();
  assert.ok(at(repeatedError, [w([cmd('pytest tests/x.py', 'assert 1 == 2', 1)]), w([cmd('pytest tests/x.py 2>&1 | tail -n 20', 'assert 1 == 2', 1)])]));
});

test('same-failure: one command whose failing values change between edits is not failing the same way, whatever numbers it holds', () => {
  const t = turns();
  const run = (expected: string, received: string) => cmd('npx jest test/parser.test.ts --maxWorkers=4 2>&1 | tail -n 40', jestFail('test/parser.test.ts', 'parser › nested', expected, received), 1);
  const seq = [t([run('2', '1')]), t([write('src/lexer.ts', 'a')]), t([run('2', '4')]), t([write('src/tokens.ts', 'b')]), t([run('4', '1')])];
  assert.equal(at(sameFailure, seq), null);
});

test('alternation: the same two turns in turn (A-B-A-B) fire; A-B-A-C and A-A-A-A do not', () => {
  const t = turns();
  const abab = [t([read('a.ts')]), t([read('b.ts')]), t([read('a.ts')]), t([read('b.ts')])];
  assert.deepEqual(firings(alternation, abab), [false, false, false, true]);
  assert.match(at(alternation, abab)!.reason, /Alternating between read_file a\.ts and read_file b\.ts for 4 turns/);
  // One file written back and forth: its label alone would read "between write_file x.txt and write_file x.txt".
  const w = turns();
  const flip = [w([write('x.txt', 'A')]), w([write('x.txt', 'B')]), w([write('x.txt', 'A')]), w([write('x.txt', 'B')])];
  assert.match(at(alternation, flip)?.reason ?? '', /^Repeating write_file x\.txt with two alternating versions for 4 turns$/);
  const u = turns();
  assert.equal(at(alternation, [u([read('a.ts')]), u([read('b.ts')]), u([read('a.ts')]), u([read('c.ts')])]), null);
  const v = turns();
  assert.equal(at(alternation, [v([read('a.ts')]), v([read('a.ts')]), v([read('a.ts')]), v([read('a.ts')])]), null);
});

test('alternation: an edit undone and redone, seen through worktree hashes, with test runs in between', () => {
  const t = turns();
  const test1 = () => cmd('npx tsc --noEmit', 'error TS1259', 2);
  const seq = [
    t([read('src/Chart.tsx')], { hash: 'h0' }),
    t([write('src/Chart.tsx', 'namespace import')], { hash: 'h1' }),
    t([test1()], { hash: 'h1' }),
    t([write('src/Chart.tsx', 'default import')], { hash: 'h0' }),
    t([test1()], { hash: 'h0' }),
    t([write('src/Chart.tsx', 'namespace import again, differently worded')], { hash: 'h1' }),
    t([test1()], { hash: 'h1' }),
    t([read('README.md')], { hash: 'h1' }),
  ];
  assert.deepEqual(firings(alternation, seq), [false, false, false, false, false, true, true, false]);
  assert.match(at(alternation, seq.slice(0, 6))!.reason, /src\/Chart\.tsx undone and redone/);
});

test('alternation: without hashes, re-applying the same two writes is seen from the calls', () => {
  const t = turns();
  const run = () => cmd('npm test', 'FAIL', 1);
  const seq = [t([write('a.ts', 'X')]), t([run()]), t([write('a.ts', 'Y')]), t([run()]), t([write('a.ts', 'X')]), t([run()]), t([write('a.ts', 'Y')])];
  assert.equal(at(alternation, seq)!.kind, 'alternation');
  const facts = factsOf(seq);
  assert.deepEqual(facts.map(f => f.progress), [true, false, true, false, false, false, false], 'a repeated write is not progress');
});

test('alternation: try, revert, try something else is not alternation', () => {
  const t = turns();
  const seq = [t([read('d.ts')], { hash: 'h0' }), t([write('d.ts', 'A')], { hash: 'h1' }), t([cmd('git checkout -- d.ts', '')], { hash: 'h0', changed: ['d.ts'] }), t([write('d.ts', 'B')], { hash: 'h2' })];
  assert.ok(firings(alternation, seq).every(x => !x));
  assert.deepEqual(factsOf(seq).map(f => f.progress), [false, true, false, true], 'the revert is not progress, the new attempt is');
});

test('no-progress: turns that only revisit what was seen fire after five', () => {
  const t = turns();
  const seq = [t([read('a.ts')]), t([read('b.ts')]), t([read('a.ts')]), t([], { text: 'Thinking.' }), t([read('b.ts')]), t([read('a.ts')]), t([read('b.ts')])];
  assert.deepEqual(firings(noProgress, seq), [false, false, false, false, false, false, true]);
  assert.match(at(noProgress, seq)!.reason, /5 turns went back over files and commands already seen/);
});

test('no-progress: reading many different files is exploring, until the turn or dollar limits', () => {
  const t = turns();
  const explore = Array.from({ length: 39 }, (_, i) => t([read(`src/module${i}.ts`)], { cost: 0.02 }));
  assert.ok(firings(noProgress, explore).every(x => !x), '39 turns of new files');
  const longer = [...explore, t([read('src/module39.ts')], { cost: 0.02 })];
  assert.match(at(noProgress, longer)!.reason, /40 turns without changing any file/);
  const u = turns();
  const pricey = Array.from({ length: 5 }, (_, i) => u([read(`src/m${i}.ts`)], { cost: 0.45 }));
  assert.deepEqual(firings(noProgress, pricey), [false, false, false, false, true]);
  assert.match(at(noProgress, pricey)!.reason, /\$2\.25 spent over 5 turns since the last file change \(limit \$2\.00\)/);
});

test('no-progress: an edit-and-retest session never fires', () => {
  assert.ok(firings(noProgress, productiveSession(30)).every(x => !x));
});

test('same-failure: the same failure after edits to files it does not name fires on the third round', () => {
  const t = turns();
  const seq = [
    t([failing()]),
    t([write('README.md', 'notes')]),
    t([failing()]),
    t([write('package.json', '{"jest":{}}')]),
    t([failing()]),
    t([write('jest.config.js', 'module.exports = {}')]),
  ];
  assert.deepEqual(firings(sameFailure, seq), [false, false, false, false, true, true]);
  assert.match(at(sameFailure, seq.slice(0, 5))!.reason, /failed the same way 3 times, after edits to package\.json, README\.md that do not touch what fails \(it names test\/parser\.test\.ts, src\/parser\.ts\)/);
});

test('same-failure: edits to the failing file, its test partner, or a failure naming no file do not fire', () => {
  const t = turns();
  const related = [t([failing()]), t([write('src/parser.ts', 'a')]), t([failing()]), t([write('src/parser.ts', 'b')]), t([failing()])];
  assert.ok(firings(sameFailure, related).every(x => !x));
  const u = turns();
  const vague = () => cmd('make', 'Segmentation fault (core dumped)', 139);
  const anonymous = [u([vague()]), u([write('a.c', '1')]), u([vague()]), u([write('b.c', '2')]), u([vague()])];
  assert.ok(firings(sameFailure, anonymous).every(x => !x), 'cannot tell what fails, so every edit counts as an attempt');
  const v = turns();
  const nowOnIt = [v([failing()]), v([write('README.md', 'x')]), v([failing()]), v([write('docs.md', 'y')]), v([failing()]), v([write('src/parser.ts', 'fix')])];
  assert.equal(at(sameFailure, nowOnIt), null, 'an edit after the last failure that goes at what fails');
});

test('same-failure: rounds that each edit three files not edited before are other work going on past the failure; a file or two a round is still an attempt at it', () => {
  const t = turns();
  const batch = (n: number) => [0, 1, 2].map(i => write(`src/dates/file${n * 3 + i}.ts`, `migrated ${n}`));
  const migration = [t([failing()]), t(batch(0)), t([failing()]), t(batch(1)), t([failing()]), t(batch(2)), t([failing()]), t(batch(3)), t([failing()])];
  assert.ok(firings(sameFailure, migration).every(x => !x), 'a migration past a test that was failing all along');
  const u = turns();
  const twoFiles = (a: string, b: string) => [write(a, `${a} again`), write(b, `${b} again`)];
  const fiddling = [u([failing()]), u(twoFiles('package.json', 'jest.config.js')), u([failing()]), u(twoFiles('tsconfig.json', 'babel.config.js')), u([failing()])];
  assert.deepEqual(firings(sameFailure, fiddling), [false, false, false, false, true]);
  // Three files, but the same ones again: coming back to what was tried is no new work.
  const v = turns();
  const same = (n: number) => ['package.json', 'jest.config.js', 'tsconfig.json'].map(f => write(f, `try ${n}`));
  const circling = [v([failing()]), v(same(1)), v([failing()]), v(same(2)), v([failing()])];
  assert.deepEqual(firings(sameFailure, circling), [false, false, false, false, true]);
});

test('text-loop: the same paragraph three times, across replies or within one, fires; short phrases do not', () => {
  const para = 'I apologize for the confusion. The chart is still empty because the loader returns before the fetch resolves.';
  const t = turns();
  const across = [t([read('a.ts')], { text: para }), t([read('b.ts')], { text: `Hmm.\n\n${para}` }), t([read('c.ts')], { text: para })];
  assert.deepEqual(firings(textLoop, across), [false, false, true]);
  const u = turns();
  assert.match(at(textLoop, [u([], { text: [para, para, para].join('\n\n') })])!.reason, /same paragraph 3 times/);
  const v = turns();
  const short = [v([read('a.ts')], { text: 'Let me run the tests.' }), v([read('b.ts')], { text: 'Let me run the tests.' }), v([read('c.ts')], { text: 'Let me run the tests.' })];
  assert.equal(at(textLoop, short), null);
  const w = turns();
  const withProgress = [w([], { text: para }), w([write('a.ts', '1')], { text: para }), w([write('a.ts', '2')], { text: para })];
  assert.equal(at(textLoop, withProgress), null);
});

test('the strongest signal explains the loop; on a tie the more specific one wins', () => {
  const t = turns();
  const seq = [t([failing()]), t([failing()]), t([failing()])];
  const signals = detectSignals(factsOf(seq), S);
  assert.deepEqual(signals.map(s => s.kind).sort(), ['repeated-call', 'repeated-error']);
  assert.equal(strongestSignal(signals)!.kind, 'repeated-error', 'three identical errors against a threshold of two');
  assert.equal(strongestSignal([{ kind: 'no-progress', strength: 1, reason: '' }, { kind: 'repeated-call', strength: 1, reason: '' }])!.kind, 'no-progress');
  assert.equal(strongestSignal([]), undefined);
});
