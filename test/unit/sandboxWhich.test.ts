// The in-process `which` the host's bundles give the sandbox library: the same answers as `which`, with
// no process started, and no stale answer when a binary goes away.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { whichSync } from '../../src/host/sandbox/which';

function folders(t: TestContext) {
  const root = mkdtempSync(path.join(tmpdir(), 'sy-which-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = (name: string) => {
    const d = path.join(root, name);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const file = (d: string, name: string, mode: number) => {
    const p = path.join(d, name);
    writeFileSync(p, '#!/bin/sh\nexit 0\n');
    chmodSync(p, mode);
    return p;
  };
  const withPath = (value: string) => {
    const saved = process.env.PATH;
    process.env.PATH = value;
    t.after(() => void (process.env.PATH = saved));
  };
  return { root, dir, file, withPath };
}

test('finds what `which` finds for the binaries the sandbox looks up', () => {
  for (const bin of ['sh', 'bwrap', 'socat', 'rg', 'no-such-binary-anywhere']) {
    const r = spawnSync('which', [bin], { encoding: 'utf8' });
    const expected = r.status === 0 ? r.stdout.trim() : null;
    assert.equal(whichSync(bin), expected, bin);
  }
});

test('the first executable file on PATH wins; a file that cannot run and a folder are passed over', t => {
  const { dir, file, withPath } = folders(t);
  const a = dir('a');
  const b = dir('b');
  const c = dir('c');
  file(a, 'tool', 0o644);
  mkdirSync(path.join(b, 'tool'));
  const runnable = file(c, 'tool', 0o755);
  withPath([a, b, c].join(path.delimiter));
  assert.equal(whichSync('tool'), runnable);
});

test('a name with a slash is taken as it is; relative and empty PATH entries are not searched', t => {
  const { root, dir, file, withPath } = folders(t);
  const bin = dir('bin');
  const runnable = file(bin, 'tool', 0o755);
  assert.equal(whichSync(runnable), runnable);
  assert.equal(whichSync(path.join(bin, 'missing')), null);
  withPath(['', path.relative(process.cwd(), bin), 'bin'].join(path.delimiter));
  assert.equal(whichSync('tool'), null, `relative entries under ${root} are not searched`);
  assert.equal(whichSync(''), null);
});

/** Two folders, each with its own runnable `tool`. */
function twoTools(t: TestContext) {
  const { dir, file, withPath } = folders(t);
  const [a, b] = [dir('a'), dir('b')];
  return { a, b, inA: file(a, 'tool', 0o755), inB: file(b, 'tool', 0o755), withPath };
}

test('a remembered answer is checked again: a removed binary is looked up anew', t => {
  const { a, b, inA, inB, withPath } = twoTools(t);
  withPath([a, b].join(path.delimiter));
  assert.equal(whichSync('tool'), inA);
  rmSync(inA);
  assert.equal(whichSync('tool'), inB);
  rmSync(inB);
  assert.equal(whichSync('tool'), null);
});

test('an answer belongs to the PATH it was found under', t => {
  const { a, b, inA, inB, withPath } = twoTools(t);
  withPath(a);
  assert.equal(whichSync('tool'), inA);
  process.env.PATH = b;
  assert.equal(whichSync('tool'), inB);
});
