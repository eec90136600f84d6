// Folders are made as `mkdir -p` makes them, and a file system that refuses new folders (procfs) is an
// error at once: Node's own recursive mkdir spun for ever there, and every command with it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { makeDir } from '../../src/host/util/makeDir';
import { runCli } from './helpers/cli';

test('makes missing parents, is idempotent, and copes with itself running concurrently', async t => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sy-mkdir-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const deep = path.join(root, 'a', 'b', 'c');
  await Promise.all(Array.from({ length: 8 }, () => makeDir(deep)));
  assert.ok(statSync(deep).isDirectory());
  await makeDir(deep);
  writeFileSync(path.join(root, 'file'), 'x');
  await assert.rejects(makeDir(path.join(root, 'file')), { code: 'ENOTDIR' });
  await assert.rejects(makeDir(path.join(root, 'file', 'below')), { code: 'ENOTDIR' });
});

test('a home under /proc is refused with a reason instead of hanging', { skip: !existsSync('/proc/self/stat') }, async () => {
  await assert.rejects(makeDir('/proc/switchyard-test/home'), /ENOENT: cannot create the folder \/proc\/switchyard-test: its file system does not allow new folders there/);
  // A command that makes the home (listing and reports do not, where nothing ran yet).
  const r = await Promise.race([
    runCli(['trace', 'abc', '--out', path.join(os.tmpdir(), 'switchyard-proc-test.jsonl')], { SWITCHYARD_HOME: '/proc/switchyard-test' }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the CLI hung')), 20_000).unref()),
  ]);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'switchyard trace: ENOENT: cannot create the folder /proc/switchyard-test: its file system does not allow new folders there');
});
