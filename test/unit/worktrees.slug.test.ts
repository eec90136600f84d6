import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WorktreeError } from '../../src/host/worktrees/errors';
import { slugify, uniqueBranch, worktreeDirName } from '../../src/host/worktrees/slug';
import { makeSandbox, sh, type Sandbox } from './helpers/git-fixtures';

test('slugify makes short lowercase ascii slugs', () => {
  assert.equal(slugify('Fix the Login bug!'), 'fix-the-login-bug');
  assert.equal(slugify('  Ünïcödé   café — résumé  '), 'unicode-cafe-resume');
  assert.equal(slugify('Add `--json` flag to CLI (v2)'), 'add-json-flag-to-cli-v2');
  assert.equal(slugify('日本語'), 'session');
  assert.equal(slugify(''), 'session');
  assert.equal(slugify('../../etc/passwd'), 'etc-passwd');
  assert.equal(slugify('fix-bug'), 'fix-bug', 'a slug is its own slug');
});

test('slugify cuts long titles at a word boundary', () => {
  const slug = slugify('Refactor the entire payment processing pipeline to use the new ledger service');
  assert.ok(slug.length <= 40, slug);
  assert.equal(slug, 'refactor-the-entire-payment-processing');
  assert.equal(slugify('x'.repeat(100)), 'x'.repeat(40));
});

test('worktree folders are named after the slug', () => {
  assert.equal(worktreeDirName('switchyard/fix-bug-2'), 'fix-bug-2');
  assert.equal(worktreeDirName('feature/x'), 'feature-x');
});

let box: Sandbox;
before(() => {
  box = makeSandbox();
});
after(() => box.dispose());

test('uniqueBranch picks switchyard/<slug>, then -2, -3 when taken', async () => {
  assert.equal(await uniqueBranch(box.repo, 'Fix Bug'), 'switchyard/fix-bug');
  sh(box.repo, 'branch', 'switchyard/fix-bug');
  assert.equal(await uniqueBranch(box.repo, 'fix-bug'), 'switchyard/fix-bug-2');
  sh(box.repo, 'branch', 'switchyard/fix-bug-2');
  assert.equal(await uniqueBranch(box.repo, 'fix-bug'), 'switchyard/fix-bug-3');
});

test('uniqueBranch skips names whose worktree folder exists, and names with branches below them', async () => {
  const dir = path.join(box.dir, 'wts');
  mkdirSync(path.join(dir, 'tidy'), { recursive: true });
  assert.equal(await uniqueBranch(box.repo, 'tidy', { worktreesDir: dir }), 'switchyard/tidy-2');
  sh(box.repo, 'branch', 'switchyard/docs/old');
  assert.equal(await uniqueBranch(box.repo, 'docs'), 'switchyard/docs-2');
});

test('uniqueBranch explains a branch that blocks the whole switchyard/ namespace', async () => {
  const other = makeSandbox();
  try {
    sh(other.repo, 'branch', 'switchyard');
    await assert.rejects(uniqueBranch(other.repo, 'x'), (err: unknown) => err instanceof WorktreeError && err.code === 'branch-exists' && /"switchyard"/.test(err.message));
  } finally {
    other.dispose();
  }
});
