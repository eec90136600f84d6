// The in-process listing the host's bundles give the sandbox library in place of ripgrep: on the same
// trees it lists exactly what ripgrep lists for the library's scan, and it hands anything else to ripgrep.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { compileGlob, listFiles, parseListing, ripGrep, RipgrepError, selected } from '../../src/host/sandbox/ripgrep';

const hasRipgrep = spawnSync('rg', ['--version']).status === 0;

/** The arguments the library's mandatory-deny scan passes (linux-sandbox-utils.js), at a given depth. */
function libraryScanArgs(maxDepth: number): string[] {
  const files = ['.gitconfig', '.gitmodules', '.bashrc', '.bash_profile', '.zshrc', '.zprofile', '.profile', '.ripgreprc', '.mcp.json'];
  const dirs = ['.vscode', '.idea', '.claude/commands', '.claude/agents'];
  return [
    '--files', '--hidden', '--no-ignore', '--no-config', '--line-buffered', '--max-depth', String(maxDepth + 1),
    ...files.flatMap(f => ['--iglob', f]),
    ...dirs.flatMap(d => ['--iglob', `**/${d}/**`]),
    '--iglob', '**/.git/hooks/**', '--iglob', '**/.git/HEAD', '--iglob', '**/.git/config',
    '-g', '!**/node_modules/**',
  ];
}

function tree(t: TestContext, files: readonly string[]): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'sy-rg-')));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const f of files) {
    const p = path.join(root, f);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, '');
  }
  return root;
}

function ripgrepLists(args: readonly string[], root: string): string[] {
  const r = spawnSync('rg', [...args, root], { cwd: root, encoding: 'utf8' });
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return r.stdout.split('\n').filter(Boolean).sort();
}

async function weList(args: readonly string[], root: string): Promise<string[]> {
  const listing = parseListing(args, root, root);
  assert.ok(listing, `answered in process: ${args.join(' ')}`);
  return (await listFiles(listing)).sort();
}

const PROJECT = [
  '.bashrc', '.ZSHRC', '.profile.d/x', 'notes.txt', '.gitconfig', '.mcp.json',
  '.git/HEAD', '.git/config', '.git/hooks/pre-commit', '.git/objects/ab/cd',
  '.vscode/settings.json', '.VSCode/tasks.json', '.idea/workspace.xml', '.claude/commands/do.md', '.claude/agents/a.md', '.Claude/Commands/x.md',
  'sub/.bashrc', 'sub/.git/HEAD', 'sub/.git/config', 'sub/.git/hooks/post-checkout', 'sub/.vscode/launch.json', 'sub/deeper/.zshrc',
  'sub/deeper/.git/HEAD', 'sub/deeper/.vscode/x', 'pkg/.claude/commands/y.md', 'pkg/.claude/agents/deep/z.md',
  'node_modules/.bashrc', 'node_modules/dep/.git/HEAD', 'node_modules/dep/.bashrc', 'node_modules/.vscode/s.json',
  'src/app/.idea/x', 'src/.gitmodules', 'a/b/c/d/.bashrc',
  // Case folding stays within ASCII, as ripgrep's does.
  '.baſhrc', '.vſcode/a', 'Ünïcode/.BashRC', 'ünïcode/.git/HEAD',
];

test('lists what ripgrep lists for the library scan, at each depth', { skip: !hasRipgrep && 'ripgrep is not installed' }, async t => {
  const root = tree(t, PROJECT);
  // Links are not followed and only regular files are listed.
  symlinkSync(path.join(root, '.bashrc'), path.join(root, 'sub', '.profile'));
  symlinkSync(path.join(root, 'sub'), path.join(root, 'linked'));
  for (const depth of [0, 1, 2, 3, 4]) {
    const args = libraryScanArgs(depth);
    assert.deepEqual(await weList(args, root), ripgrepLists(args, root), `depth ${depth}`);
  }
});

test('follows ripgrep on precedence: -g globs first, the last match decides, an excluded folder is skipped', { skip: !hasRipgrep && 'ripgrep is not installed' }, async t => {
  const root = tree(t, PROJECT);
  const cases: string[][] = [
    ['-g', '!**/node_modules/**', '--iglob', '.bashrc'],
    ['--iglob', '.bashrc', '--iglob', '!**/node_modules/**'],
    ['-g', '.bashrc', '-g', '!node_modules/**'],
    ['--iglob', '**/.git/**', '-g', '!**/*'],
    ['-g', '!sub', '--iglob', '*rc'],
    ['-g', 'sub/*', '-g', '/.git/?EAD'],
    ['-g', '**/.git/**/*', '-g', '!sub/**'],
    ['-g', '!*.txt'],
    ['--iglob', '.Claude/commands/**'],
  ];
  for (const globs of cases) {
    const args = ['--files', '--hidden', '--no-ignore', '--no-config', '--max-depth', '4', ...globs];
    assert.deepEqual(await weList(args, root), ripgrepLists(args, root), globs.join(' '));
  }
});

test('globs: a bare name matches at any depth; * and ? stay within a component; /** is what is inside', () => {
  const m = (g: string, p: string, dir = false) => selected([compileGlob(g, false)!], p, dir);
  assert.ok(m('.bashrc', 'a/b/.bashrc'));
  assert.ok(!m('.bashrc', 'a/b/.bashrc2'));
  assert.ok(m('a/*', 'a/x'));
  assert.ok(!m('a/*', 'a/x/y'));
  assert.ok(m('**/x/**', 'x/y/z'));
  assert.ok(!m('**/x/**', 'x'), 'the folder itself is not matched');
  assert.ok(m('/top', 'top'));
  assert.ok(!m('top/f', 'sub/top/f'), 'a glob with a slash is anchored');
  assert.ok(m('a/**/b', 'a/b') && m('a/**/b', 'a/x/y/b'));
  assert.ok(m('?.md', 'dir/x.md') && !m('?.md', 'dir/xy.md'));
  assert.ok(m('?.md', 'dir/😀.md'), '? is one character, not one UTF-16 unit');
  assert.ok(compileGlob('.BASHRC', true)!.pattern.test('.bashrc'));
  assert.ok(!compileGlob('.BASHRC', false)!.pattern.test('.bashrc'));
  for (const unsupported of ['[ab]', '{a,b}', 'a\\*', 'dir/', 'a**b', '!']) assert.equal(compileGlob(unsupported, false), undefined, unsupported);
});

test('anything but a plain listing of the working folder is left to ripgrep itself', () => {
  const cwd = '/work/here';
  const base = ['--files', '--hidden', '--no-ignore', '--no-config', '--max-depth', '2'];
  assert.ok(parseListing(base, cwd, cwd));
  assert.equal(parseListing(base, '/elsewhere', cwd), undefined, 'globs match relative to ripgrep\'s own folder');
  assert.equal(parseListing(['--files', '--hidden', '--no-config', '--max-depth', '2'], cwd, cwd), undefined, 'ignore files');
  assert.equal(parseListing([...base, '-e', 'needle'], cwd, cwd), undefined, 'a search');
  assert.equal(parseListing(['--files', '--hidden', '--no-ignore', '--no-config'], cwd, cwd), undefined, 'no depth limit');
  assert.equal(parseListing([...base, '-g', '{a,b}'], cwd, cwd), undefined, 'braces');
});

test('ripGrep answers the scan of the working folder in process, and stops when asked', { skip: !hasRipgrep && 'ripgrep is not installed' }, async t => {
  const root = tree(t, PROJECT);
  const saved = process.cwd();
  process.chdir(root);
  t.after(() => process.chdir(saved));
  const args = libraryScanArgs(1);
  assert.deepEqual((await ripGrep(args, root)).sort(), ripgrepLists(args, root));
  // Not the working folder: ripgrep runs, and matches relative to the host's folder (nothing here).
  const other = tree(t, ['.bashrc']);
  assert.deepEqual(await ripGrep(['--files', '--hidden', '--no-ignore', '--no-config', '--max-depth', '1', '-g', '/.bashrc'], other), []);
  const stop = new AbortController();
  stop.abort();
  await assert.rejects(ripGrep(args, root, stop.signal), { name: 'AbortError' });
});

test('a folder that cannot be read is reported in ripgrep\'s words, with what was listed', async t => {
  const root = tree(t, ['.bashrc']);
  const listing = parseListing(['--files', '--hidden', '--no-ignore', '--no-config', '--max-depth', '2'], root, root)!;
  rmSync(root, { recursive: true });
  const err = await listFiles(listing).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RipgrepError);
  assert.deepEqual(err.listed, []);
  assert.equal(err.stderr, `rg: ${root}: No such file or directory (os error 2)\n`);
});
