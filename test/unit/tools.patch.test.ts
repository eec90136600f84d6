import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DEFAULT_TOOL_LIMITS, localRunner, runToolCall, type ToolContext, type ToolResult } from '../../src/host/agent/tools';
import { parsePatch } from '../../src/host/agent/tools/patch/parse';
import { newSide, oldSide } from '../../src/host/agent/tools/patch/types';

// Every test gets a fresh worktree (a plain folder: apply_patch needs no git).
let root: string;
let wt: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sy-patch-')));
  wt = path.join(root, 'wt');
  mkdirSync(wt);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function put(rel: string, content: string): void {
  mkdirSync(path.dirname(path.join(wt, rel)), { recursive: true });
  writeFileSync(path.join(wt, rel), content);
}
const read = (rel: string) => readFileSync(path.join(wt, rel), 'utf8');

function ctx(over: Partial<ToolContext> = {}): ToolContext {
  return {
    worktree: wt,
    tempDir: root,
    signal: new AbortController().signal,
    approval: 'auto',
    requestApproval: async () => true,
    runCommand: localRunner,
    limits: DEFAULT_TOOL_LIMITS,
    ...over,
  };
}
const patch = (text: string, c: ToolContext = ctx()): Promise<ToolResult> => runToolCall('apply_patch', JSON.stringify({ patch: text }), c);

/** A snapshot of every file under the worktree, to prove a failed patch changed nothing. */
function snapshot(dir = wt, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix + e.name;
    if (e.isDirectory()) Object.assign(out, snapshot(path.join(dir, e.name), `${rel}/`));
    else if (e.isSymbolicLink()) out[rel] = `-> ${readlinkSync(path.join(dir, e.name))}`;
    else out[rel] = readFileSync(path.join(dir, e.name), 'utf8');
  }
  return out;
}

const TEN = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('unified diffs', () => {
  test('applies several hunks to one file', async () => {
    put('a.txt', TEN);
    const r = await patch(
      ['--- a/a.txt', '+++ b/a.txt', '@@ -1,3 +1,3 @@', ' line 1', '-line 2', '+line two', ' line 3', '@@ -8,3 +8,4 @@', ' line 8', ' line 9', '+line 9.5', ' line 10', ''].join('\n'),
    );
    assert.equal(r.ok, true, r.output);
    assert.equal(read('a.txt'), TEN.replace('line 2\n', 'line two\n').replace('line 9\n', 'line 9\nline 9.5\n'));
    assert.deepEqual(r.filesChanged, ['a.txt']);
    assert.equal(r.output, 'applied the patch to 1 file:\nM a.txt');
  });

  test('finds hunks whose line numbers are off, and tolerates miscounted headers', async () => {
    put('a.txt', TEN);
    const r = await patch(['--- a.txt', '+++ a.txt', '@@ -40,2 +40,2 @@', ' line 6', '-line 7', '+line seven', ' line 8'].join('\n'));
    assert.equal(r.ok, true, r.output);
    assert.equal(read('a.txt'), TEN.replace('line 7\n', 'line seven\n'));
  });

  test('adds, deletes and renames files in one git diff', async () => {
    put('old.txt', 'bye\n');
    put('src/name.ts', 'export const x = 1;\n');
    const r = await patch(
      [
        'diff --git a/new/file.txt b/new/file.txt',
        'new file mode 100644',
        'index 0000000..3b18e51',
        '--- /dev/null',
        '+++ b/new/file.txt',
        '@@ -0,0 +1,2 @@',
        '+hello',
        '+world',
        'diff --git a/old.txt b/old.txt',
        'deleted file mode 100644',
        '--- a/old.txt',
        '+++ /dev/null',
        '@@ -1 +0,0 @@',
        '-bye',
        'diff --git a/src/name.ts b/src/renamed.ts',
        'similarity index 60%',
        'rename from src/name.ts',
        'rename to src/renamed.ts',
        '--- a/src/name.ts',
        '+++ b/src/renamed.ts',
        '@@ -1 +1 @@',
        '-export const x = 1;',
        '+export const x = 2;',
      ].join('\n'),
    );
    assert.equal(r.ok, true, r.output);
    assert.deepEqual(snapshot(), { 'new/file.txt': 'hello\nworld\n', 'src/renamed.ts': 'export const x = 2;\n' });
    assert.deepEqual(r.filesChanged, ['new/file.txt', 'old.txt', 'src/name.ts', 'src/renamed.ts']);
    assert.equal(r.output, 'applied the patch to 3 files:\nA new/file.txt\nD old.txt\nR src/name.ts -> src/renamed.ts');
  });

  test('honours "\\ No newline at end of file" on either side', async () => {
    put('n.txt', 'a\nb');
    const add = await patch(['--- a/n.txt', '+++ b/n.txt', '@@ -1,2 +1,2 @@', ' a', '-b', '\\ No newline at end of file', '+b', ''].join('\n'));
    assert.equal(add.ok, true, add.output);
    assert.equal(read('n.txt'), 'a\nb\n');
    const drop = await patch(['--- a/n.txt', '+++ b/n.txt', '@@ -1,2 +1,2 @@', ' a', '-b', '+c', '\\ No newline at end of file'].join('\n'));
    assert.equal(drop.ok, true, drop.output);
    assert.equal(read('n.txt'), 'a\nc');
  });

  test('accepts blank context lines without their leading space, fenced patches and CRLF files', async () => {
    put('f.py', 'def f():\n\n    return 1\n');
    const r = await patch(['```diff', '--- a/f.py', '+++ b/f.py', '@@ -1,3 +1,3 @@', ' def f():', '', '-    return 1', '+    return 2', '```'].join('\n'));
    assert.equal(r.ok, true, r.output);
    assert.equal(read('f.py'), 'def f():\n\n    return 2\n');
    put('w.txt', 'one\r\ntwo\r\n');
    const crlf = await patch(['--- a/w.txt', '+++ b/w.txt', '@@ -1,2 +1,3 @@', ' one', '+one and a half', ' two'].join('\n'));
    assert.equal(crlf.ok, true, crlf.output);
    assert.equal(read('w.txt'), 'one\r\none and a half\r\ntwo\r\n');
  });

  test('keeps a file\'s permission bits', async () => {
    put('run.sh', '#!/bin/sh\necho 1\n');
    chmodSync(path.join(wt, 'run.sh'), 0o755);
    assert.equal((await patch(['--- a/run.sh', '+++ b/run.sh', '@@ -2 +2 @@', '-echo 1', '+echo 2'].join('\n'))).ok, true);
    assert.equal(statSync(path.join(wt, 'run.sh')).mode & 0o777, 0o755);
  });

  test('a hunk that does not apply changes nothing, in any file, and is named', async () => {
    put('a.txt', TEN);
    put('b.txt', 'alpha\nbeta\ngamma\n');
    put('doomed.txt', 'still here\n');
    const before = snapshot();
    const r = await patch(
      [
        '--- a/a.txt', '+++ b/a.txt', '@@ -1,2 +1,2 @@', '-line 1', '+LINE 1', ' line 2',
        '--- /dev/null', '+++ b/created.txt', '@@ -0,0 +1 @@', '+new',
        '--- a/doomed.txt', '+++ /dev/null', '@@ -1 +0,0 @@', '-still here',
        '--- a/b.txt', '+++ b/b.txt', '@@ -1,2 +1,2 @@', ' alpha', '-beta', '+BETA',
        '@@ -3 +3 @@', '-delta', '+DELTA',
      ].join('\n'),
    );
    assert.equal(r.ok, false);
    assert.match(r.output, /^error: hunk 2 of 2 for 'b\.txt' \(@@ -3 \+3 @@\) did not apply: these context and removed lines were not found after line 2:\n {2}delta\n/);
    assert.deepEqual(snapshot(), before);
  });

  test('a deletion whose content does not match is refused', async () => {
    put('d.txt', 'actual\n');
    const r = await patch(['--- a/d.txt', '+++ /dev/null', '@@ -1 +0,0 @@', '-expected'].join('\n'));
    assert.match(r.output, /cannot delete 'd\.txt': its content is not what the diff says/);
    assert.ok(existsSync(path.join(wt, 'd.txt')));
  });
});

describe('V4A patches', () => {
  test('adds, deletes, moves and updates files with anchored hunks', async () => {
    put('src/app.py', ['import os', '', 'class A:', '    def greet(self):', '        print("Hi")', '', 'def greet():', '    print("Hi")', ''].join('\n'));
    put('obsolete.txt', 'old\n');
    put('lib/old.py', 'x = 1\ny = 2\n');
    const r = await patch(
      [
        '*** Begin Patch',
        '*** Add File: docs/hello.txt',
        '+Hello',
        '+',
        '+world',
        '*** Update File: src/app.py',
        '@@ def greet():',
        '-    print("Hi")',
        '+    print("Hello, world!")',
        '*** Delete File: obsolete.txt',
        '*** Update File: lib/old.py',
        '*** Move to: lib/new.py',
        '@@',
        ' x = 1',
        '-y = 2',
        '+y = 3',
        '*** End Patch',
      ].join('\n'),
    );
    assert.equal(r.ok, true, r.output);
    assert.equal(read('docs/hello.txt'), 'Hello\n\nworld\n');
    // The anchor picks the top-level greet, not the method above it with the same body line.
    assert.equal(read('src/app.py'), ['import os', '', 'class A:', '    def greet(self):', '        print("Hi")', '', 'def greet():', '    print("Hello, world!")', ''].join('\n'));
    assert.ok(!existsSync(path.join(wt, 'obsolete.txt')));
    assert.ok(!existsSync(path.join(wt, 'lib/old.py')));
    assert.equal(read('lib/new.py'), 'x = 1\ny = 3\n');
    assert.equal(r.output, 'applied the patch to 4 files:\nA docs/hello.txt\nM src/app.py\nD obsolete.txt\nR lib/old.py -> lib/new.py');
  });

  test('applies several hunks, stacked anchors and an end-of-file hunk', async () => {
    put('m.ts', ['class A {', '  run() {', '    return 1;', '  }', '}', 'class B {', '  run() {', '    return 1;', '  }', '}', 'end();', 'end();'].join('\n') + '\n');
    const r = await patch(
      [
        '*** Begin Patch',
        '*** Update File: m.ts',
        '@@ class B {',
        '@@   run() {',
        '-    return 1;',
        '+    return 2;',
        '@@',
        ' end();',
        '-end();',
        '+finish();',
        '*** End of File',
        '*** End Patch',
      ].join('\n'),
    );
    assert.equal(r.ok, true, r.output);
    assert.equal(read('m.ts'), ['class A {', '  run() {', '    return 1;', '  }', '}', 'class B {', '  run() {', '    return 2;', '  }', '}', 'end();', 'finish();'].join('\n') + '\n');
  });

  test('matches context that differs only in whitespace or typographic punctuation', async () => {
    put('t.txt', 'say “hi”  \n\tindent\n');
    const r = await patch(['*** Begin Patch', '*** Update File: t.txt', '@@', ' say "hi"', '-indent', '+dedent', '*** End Patch'].join('\n'));
    assert.equal(r.ok, true, r.output);
    assert.equal(read('t.txt'), 'say “hi”  \ndedent\n');
  });

  test('a failing hunk leaves every file as it was', async () => {
    put('a.txt', TEN);
    put('gone.txt', 'keep me\n');
    const before = snapshot();
    const r = await patch(
      [
        '*** Begin Patch',
        '*** Add File: added.txt',
        '+new',
        '*** Delete File: gone.txt',
        '*** Update File: a.txt',
        '@@',
        '-line 1',
        '+LINE 1',
        '@@ line 5',
        '-line 77',
        '+LINE 77',
        '*** End Patch',
      ].join('\n'),
    );
    assert.equal(r.ok, false);
    assert.match(r.output, /^error: hunk 2 of 2 for 'a\.txt' \(@@ line 5\) did not apply/);
    assert.deepEqual(snapshot(), before);
  });

  test('explains malformed patches', async () => {
    put('a.txt', TEN);
    assert.match((await patch('*** Begin Patch\n*** Update File: a.txt\n@@\n-line 1\n+x\n')).output, /must end with a line '\*\*\* End Patch'/);
    assert.match((await patch('*** Begin Patch\n*** Frobnicate: a.txt\n*** End Patch')).output, /line 2: '\*\*\* Frobnicate: a\.txt' is not a file header/);
    assert.match((await patch('*** Begin Patch\n*** Update File: a.txt\n*** End Patch')).output, /has no hunks/);
    assert.match((await patch('*** Begin Patch\n*** Update File: a.txt\n@@\n line 1\n?? what\n*** End Patch')).output, /line 5: '\?\? what' in hunk 1 of 'a\.txt' does not start with/);
    assert.match((await patch('please change line 1')).output, /neither a V4A patch .* nor a unified diff/);
  });

  test('refuses to add over an existing file, to touch a file twice, or to move onto one', async () => {
    put('a.txt', TEN);
    put('b.txt', 'b\n');
    assert.match((await patch('*** Begin Patch\n*** Add File: a.txt\n+x\n*** End Patch')).output, /cannot add 'a\.txt': it already exists/);
    assert.match(
      (await patch('*** Begin Patch\n*** Delete File: a.txt\n*** Delete File: ./a.txt\n*** End Patch')).output,
      /changes 'a\.txt' twice/,
    );
    assert.match((await patch('*** Begin Patch\n*** Update File: a.txt\n*** Move to: b.txt\n*** End Patch')).output, /'b\.txt' already exists/);
    assert.match((await patch('*** Begin Patch\n*** Delete File: missing.txt\n*** End Patch')).output, /'missing\.txt' does not exist/);
    assert.equal(read('a.txt'), TEN);
  });
});

describe('confinement and policy', () => {
  test('every path in a patch is confined, and a refused one stops the whole patch', async () => {
    const outside = path.join(root, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, path.join(wt, 'out'));
    put('a.txt', TEN);
    const before = snapshot();
    for (const bad of ['../escape.txt', '/tmp/abs.txt', 'out/x.txt', '.git/config']) {
      const r = await patch(`*** Begin Patch\n*** Update File: a.txt\n@@\n-line 1\n+LINE 1\n*** Add File: ${bad}\n+x\n*** End Patch`);
      assert.equal(r.ok, false, bad);
      assert.match(r.output, /^error: path '/, bad);
    }
    const moved = await patch('*** Begin Patch\n*** Update File: a.txt\n*** Move to: ../a.txt\n*** End Patch');
    assert.match(moved.output, /outside the worktree/);
    assert.deepEqual(snapshot(), before);
    assert.deepEqual(readdirSync(outside), []);
  });

  test('a read-only session cannot patch', async () => {
    put('a.txt', TEN);
    const r = await patch('*** Begin Patch\n*** Delete File: a.txt\n*** End Patch', ctx({ approval: 'read-only' }));
    assert.match(r.output, /^error: apply_patch is not available: this session is read-only/);
    assert.ok(existsSync(path.join(wt, 'a.txt')));
  });
});

describe('parsing', () => {
  test('a removed line that starts with "-- " is not taken for a file header', () => {
    const changes = parsePatch(['--- a/sql.txt', '+++ b/sql.txt', '@@ -1,2 +1,2 @@', '--- a comment', '+++ not a header', ' select 1;'].join('\n'));
    assert.equal(changes.length, 1);
    const c = changes[0]!;
    assert.equal(c.kind, 'update');
    if (c.kind !== 'update') return;
    assert.deepEqual(oldSide(c.hunks[0]!.lines), ['-- a comment', 'select 1;']);
    assert.deepEqual(newSide(c.hunks[0]!.lines), ['++ not a header', 'select 1;']);
  });

  test('git-quoted paths are unquoted', () => {
    const changes = parsePatch(['--- "a/caf\\303\\251 \\"x\\".txt"', '+++ "b/caf\\303\\251 \\"x\\".txt"', '@@ -1 +1 @@', '-a', '+b'].join('\n'));
    assert.equal(changes[0]!.path, 'café "x".txt');
  });
});
