import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalArgs,
  errorHeadline,
  errorSignature,
  mentionedPaths,
  normalizeOutput,
  pathStem,
  splitParagraphs,
  touchesAny,
} from '../../src/host/guard/normalize';
import { callFailed, commandOf, describeCall, outputText, pathsOf, resourceOf, toolRole } from '../../src/host/guard/tools';

test('canonical arguments ignore key order and whitespace at every depth', () => {
  const a = canonicalArgs('{"path":"src/a.ts","range":{"start":1,"end":20},"query":"  parse   config "}');
  const b = canonicalArgs('{ "query": "parse config",\n  "range": { "end": 20, "start": 1 }, "path": "src/a.ts" }');
  assert.equal(a, b);
  assert.notEqual(a, canonicalArgs('{"path":"src/b.ts","range":{"start":1,"end":20},"query":"parse config"}'));
  assert.equal(canonicalArgs('npm   test\n'), 'npm test', 'arguments that are not JSON are whitespace-normalised');
});

test('two runs of the same failure normalise to the same text; a different failure does not', () => {
  const run = (ms: number, tmp: string, at: string, pid: number, line: number) =>
    `[${at}] worker pid ${pid} started\nFAIL test/parser.test.ts (${ms} ms)\n  at parse (${tmp}/src/parser.ts:${line}:7)\n` +
    `object 0x7ffd${pid.toString(16)} build 3f9a2c1e\nTests: 1 failed, 8 passed\nTime: ${ms / 1000} s`;
  const first = normalizeOutput(run(812, '/tmp/jest_rs1a2b', '2026-11-03T09:12:44.120Z', 41234, 42));
  const second = normalizeOutput(run(1290, '/tmp/jest_9xk2', '2026-11-04T17:02:01.007Z', 51877, 45));
  assert.equal(first, second);
  assert.match(first, /<tmp>\/parser\.ts:<line>/, 'a temp path keeps its file name');
  assert.notEqual(normalizeOutput('Tests: 1 failed, 8 passed'), normalizeOutput('Tests: 2 failed, 7 passed'), 'small counts carry meaning');
});

test('line and column numbers are normalised in every common form', () => {
  assert.equal(normalizeOutput('src/a.ts(16,22): error TS2345'), normalizeOutput('src/a.ts(18,3): error TS2345'));
  assert.equal(normalizeOutput('File "app/x.py", line 31, in parse'), normalizeOutput('File "app/x.py", line 40, in parse'));
  assert.equal(normalizeOutput('  12:5  error  unused'), normalizeOutput('  19:1  error  unused'));
  assert.equal(normalizeOutput('42 |     let n: u32 = v.len();'), normalizeOutput('57 |     let n: u32 = v.len();'));
});

test('the error signature keeps the lines that name the failure and drops progress noise', () => {
  const full = 'PASS a.test.ts (1.2 s)\nPASS b.test.ts (0.4 s)\nFAIL c.test.ts\n  ● c › adds\n    Expected: 3\n    Received: 4\nTests: 1 failed';
  const narrow = 'FAIL c.test.ts\n  ● c › adds\n    Expected: 3\n    Received: 4\nTests: 1 failed, 0 passed';
  assert.equal(errorSignature(full), errorSignature(narrow));
  assert.notEqual(errorSignature(full), errorSignature(full.replace('Received: 4', 'Received: 5')));
  assert.equal(errorSignature('nothing stands out\nlast line'), 'nothing stands out\nlast line');
  assert.equal(errorHeadline('src/routes/a.ts(16,22): error TS2345: Argument of type'), 'src/routes/a.ts(16,22): error TS2345: Argument of type');
  // No runner's failure line: the last line that says something, not the exit marker or the echoed command.
  assert.equal(errorHeadline("ls: cannot access 'nope': No such file or directory\n[exit code 2]"), "ls: cannot access 'nope': No such file or directory");
  assert.equal(errorHeadline("$ make deploy\nno rule to make target 'deploy'\n\nexit code: 2 (0.01s)"), "no rule to make target 'deploy'");
  assert.equal(errorHeadline('[exit code 1]'), '[exit code 1]');
});

test('a failure names project files, not dependencies', () => {
  const out = 'PASS test/other.test.ts (1.2 s)\nFAIL test/parser.test.ts\n  at parse (src/parser.ts:10:3)\n  at run (node_modules/jest-circus/build/run.js:9:1)\n  File "/usr/lib/python3.12/importlib/__init__.py"';
  assert.deepEqual(mentionedPaths(out).sort(), ['src/parser.ts', 'test/parser.test.ts']);
});

test('a test and the code it tests are paired by stem', () => {
  assert.equal(pathStem('src/parser.test.ts'), 'parser');
  assert.equal(pathStem('tests/test_dates.py'), 'dates');
  assert.equal(pathStem('internal/store/store_test.go'), 'store');
  assert.ok(touchesAny('src/parser.ts', ['test/parser.test.ts']));
  assert.ok(touchesAny('app/dates.py', ['tests/test_dates.py']));
  assert.ok(touchesAny('src/routes/invoices.ts', ['routes/invoices.ts']));
  assert.ok(!touchesAny('tsconfig.json', ['src/routes/invoices.ts']));
  assert.ok(!touchesAny('conftest.py', ['tests/test_dates.py']));
});

test('paragraphs are split on blank lines and normalised', () => {
  assert.deepEqual(splitParagraphs('First  paragraph.\n\nSecond\nparagraph!\n\n\n'), ['first paragraph', 'second paragraph']);
});

test('tool roles, command lines and paths are read from names and arguments', () => {
  assert.equal(toolRole('run_command'), 'command');
  assert.equal(toolRole('shell'), 'command');
  assert.equal(toolRole('apply_patch'), 'write');
  assert.equal(toolRole('str_replace_based_edit_tool'), 'write');
  assert.equal(toolRole('read_file'), 'read');
  assert.equal(toolRole('list_files'), 'list');
  assert.equal(toolRole('search'), 'search');
  assert.equal(toolRole('finish'), 'finish');
  assert.equal(commandOf('shell', '{"command":["bash","-lc","npm  test"],"workdir":"/w"}'), 'npm test');
  assert.equal(commandOf('shell', '{"command":["git","status"]}'), 'git status');
  assert.equal(commandOf('read_file', '{"path":"a"}'), undefined);
  assert.deepEqual(pathsOf('{"patch":"*** Begin Patch\\n*** Update File: src/a.ts\\n@@\\n*** Add File: src/b.ts\\n*** End Patch"}'), ['src/a.ts', 'src/b.ts']);
  assert.equal(resourceOf('read_file', '{"path":"src/a.ts","start_line":1}'), resourceOf('read_file', '{"path":"src/a.ts","start_line":80}'));
  assert.equal(describeCall('run_command', '{"command":"npm test"}'), 'run_command `npm test`');
});

test('a call failed when its tool says so or when a command exits non-zero', () => {
  assert.ok(callFailed('read_file', 'ENOENT', false));
  assert.ok(callFailed('run_command', 'FAIL x\nexit code: 1', true), 'a command tool reports ok for the call itself');
  assert.ok(callFailed('run_command', 'boom\nProcess exited with code 2 after 1.2s', undefined));
  assert.ok(!callFailed('run_command', 'grep found: FAIL in log\nexit code: 0', undefined), 'an explicit exit 0 wins');
  assert.ok(callFailed('run_command', '======== 1 failed, 3 passed in 0.2s ========', undefined), 'a pytest summary without an exit marker');
  assert.ok(callFailed('run_command', "src/a.ts(1,2): error TS2304: Cannot find name 'x'.", undefined));
  assert.ok(!callFailed('run_command', 'Tests: 9 passed, 9 total', undefined));
  assert.ok(!callFailed('read_file', 'it("FAIL when empty")', undefined), 'file contents are not command output');
  assert.ok(callFailed('apply_patch', 'error: patch failed: src/a.ts:12', undefined));
});

test("Codex's JSON command output is unwrapped with its exit code", () => {
  const text = outputText('{"output":"FAIL x","metadata":{"exit_code":1,"duration_seconds":0.5}}');
  assert.equal(text, 'FAIL x\nexit code: 1');
  assert.ok(callFailed('shell', text, undefined));
  assert.equal(outputText('{"not":"codex"}'), '{"not":"codex"}');
});
