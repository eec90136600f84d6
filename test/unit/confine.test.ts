import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfinementError, type ConfinementReason, isGitMetadataName, resolveInWorktree } from '../../src/host/agent/tools/confine';

// A real linked worktree (its .git is a file pointing into the repository), a folder outside it with a
// secret, and links of every kind inside it.
let root: string;
let wt: string;
let outside: string;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'ignore' });
}

before(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sy-confine-')));
  const repo = path.join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(path.join(repo, 'README.md'), 'hi\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'init');
  wt = path.join(root, 'wt');
  git(repo, 'worktree', 'add', '-q', '-b', 'agent', wt);
  outside = path.join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'secret\n');
  mkdirSync(path.join(wt, 'a'));
  writeFileSync(path.join(wt, 'a', 'b.txt'), 'b\n');
  symlinkSync(outside, path.join(wt, 'out-dir'));
  symlinkSync(path.join(outside, 'secret.txt'), path.join(wt, 'out-file'));
  symlinkSync('../../outside', path.join(wt, 'a', 'rel-out'));
  symlinkSync('a', path.join(wt, 'in-dir'));
  symlinkSync('a/b.txt', path.join(wt, 'in-file'));
  symlinkSync('does-not-exist', path.join(wt, 'dangling'));
  symlinkSync('.git', path.join(wt, 'git-alias'));
  symlinkSync('loop2', path.join(wt, 'loop1'));
  symlinkSync('loop1', path.join(wt, 'loop2'));
  symlinkSync(wt, path.join(root, 'wt-alias'));
});

after(() => rmSync(root, { recursive: true, force: true }));

async function refused(rel: string, reason: ConfinementReason, forWrite = false): Promise<ConfinementError> {
  const err = await resolveInWorktree(wt, rel, { forWrite }).then(
    p => assert.fail(`'${rel}' (${forWrite ? 'write' : 'read'}) resolved to ${p} instead of being refused`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfinementError, `expected a ConfinementError for '${rel}', got ${String(err)}`);
  assert.equal(err.reason, reason, `reason for '${rel}': ${err.message}`);
  return err;
}

describe('lexical refusals', () => {
  test('.. escapes are refused with a message the model can act on', async () => {
    const err = await refused('../x', 'escape');
    assert.equal(err.message, "path '../x' is outside the worktree; use a path relative to the worktree root");
    await refused('./a/../../x', 'escape');
    await refused('a/../../wt/a/b.txt', 'escape');
    await refused('..', 'escape', true);
  });

  test('absolute paths are refused, even ones that point inside the worktree', async () => {
    await refused('/etc/passwd', 'absolute');
    await refused(path.join(wt, 'a', 'b.txt'), 'absolute');
    await refused('/tmp/new.txt', 'absolute', true);
  });

  test('Windows drive and UNC forms, backslashes and ~ are refused', async () => {
    await refused('C:\\Windows\\win.ini', 'windows');
    await refused('c:/x', 'windows');
    await refused('\\\\server\\share\\x', 'windows');
    await refused('//server/share/x', 'windows');
    await refused('\\x', 'windows');
    await refused('a\\..\\..\\x', 'backslash');
    await refused('~/.ssh/id_rsa', 'home');
    await refused('~', 'home');
  });

  test('NUL bytes and empty paths are refused', async () => {
    await refused('a/b.txt\0.png', 'nul');
    await refused('', 'empty');
  });

  test('the worktree root can be read (listed) but not written', async () => {
    assert.equal(await resolveInWorktree(wt, '.'), wt);
    assert.equal(await resolveInWorktree(wt, './a/..'), wt);
    await refused('.', 'root', true);
  });
});

describe('.git is off limits', () => {
  test('.git itself and anything inside it, for reading and writing', async () => {
    for (const forWrite of [false, true]) {
      await refused('.git', 'git', forWrite);
      await refused('.git/config', 'git', forWrite);
      await refused('a/../.git/config', 'git', forWrite);
      await refused('.git/hooks/pre-commit', 'git', forWrite);
      await refused('vendor/lib/.git/config', 'git', forWrite);
    }
  });

  test('spellings that name .git on case-insensitive, NTFS or HFS+ volumes', async () => {
    await refused('.GIT/config', 'git', true);
    await refused('.git./config', 'git', true);
    await refused('.git /config', 'git', true);
    await refused('GIT~1/config', 'git', true);
    assert.ok(isGitMetadataName('.g\u200cit'));
    assert.ok(!isGitMetadataName('.gitignore'));
    assert.ok(!isGitMetadataName('.github'));
  });

  test('a symbolic link to .git is refused too', async () => {
    await refused('git-alias', 'git');
    await refused('git-alias', 'git', true);
  });

  test('.gitignore and .github are ordinary files', async () => {
    assert.equal(await resolveInWorktree(wt, '.gitignore', { forWrite: true }), path.join(wt, '.gitignore'));
    assert.equal(await resolveInWorktree(wt, '.github/workflows/ci.yml', { forWrite: true }), path.join(wt, '.github/workflows/ci.yml'));
  });
});

describe('symbolic links', () => {
  test('a link to a file outside is refused for reading and writing', async () => {
    const err = await refused('out-file', 'symlink');
    assert.match(err.message, /leads outside the worktree through the symbolic link 'out-file'/);
    await refused('out-file', 'symlink', true);
  });

  test('a link to a folder outside is refused for existing and new files below it', async () => {
    await refused('out-dir/secret.txt', 'symlink');
    await refused('out-dir/secret.txt', 'symlink', true);
    await refused('out-dir/new.txt', 'symlink', true);
    await refused('out-dir/deep/new/file.txt', 'symlink', true);
    const err = await refused('a/rel-out/new.txt', 'symlink', true);
    assert.match(err.message, /'a\/rel-out'/);
  });

  test('links that stay inside the worktree are fine', async () => {
    assert.equal(await resolveInWorktree(wt, 'in-dir/b.txt'), path.join(wt, 'in-dir', 'b.txt'));
    assert.equal(await resolveInWorktree(wt, 'in-file', { forWrite: true }), path.join(wt, 'in-file'));
    assert.equal(await resolveInWorktree(wt, 'in-dir/new.txt', { forWrite: true }), path.join(wt, 'in-dir', 'new.txt'));
  });

  test('dangling links and loops are refused', async () => {
    await refused('dangling', 'symlink', true);
    await refused('dangling/x.txt', 'symlink', true);
    await refused('loop1', 'symlink');
  });

  test('a worktree reached through a link of its own is still confined correctly', async () => {
    const alias = path.join(root, 'wt-alias');
    assert.equal(await resolveInWorktree(alias, 'a/b.txt'), path.join(alias, 'a', 'b.txt'));
    await assert.rejects(resolveInWorktree(alias, 'out-file'), ConfinementError);
  });
});

describe('plain paths', () => {
  test('new files in new folders resolve for writing; missing files resolve for reading', async () => {
    assert.equal(await resolveInWorktree(wt, 'src/new/deep/file.ts', { forWrite: true }), path.join(wt, 'src/new/deep/file.ts'));
    assert.equal(await resolveInWorktree(wt, './a//b.txt'), path.join(wt, 'a', 'b.txt'));
    assert.equal(await resolveInWorktree(wt, 'missing.txt'), path.join(wt, 'missing.txt'));
  });

  test('a relative worktree is a programming error, not a confinement error', async () => {
    await assert.rejects(resolveInWorktree('relative/wt', 'a'), (e: unknown) => e instanceof Error && !(e instanceof ConfinementError));
  });
});
