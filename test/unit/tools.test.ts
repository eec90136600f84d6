import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_TOOL_LIMITS,
  localRunner,
  runToolCall,
  TOOLS,
  toolSchemasForChat,
  toolSchemasForResponses,
  type ToolContext,
  type ToolLimits,
} from '../../src/host/agent/tools';
import { deniedInWorktree } from '../../src/host/sandbox/policy';

let root: string;
let wt: string;
let outside: string;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'ignore' });
}

function put(rel: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.join(wt, rel)), { recursive: true });
  writeFileSync(path.join(wt, rel), content);
}

before(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sy-tools-')));
  wt = path.join(root, 'wt');
  outside = path.join(root, 'outside');
  mkdirSync(wt);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'secret needle\n');
  git(wt, 'init', '-q', '-b', 'main');
  put('.gitignore', 'build/\n*.log\n');
  put('README.md', '# Demo\nneedle in the readme\n');
  put('src/a.ts', 'export const a = 1;\nexport const b = a.b(2);\n// needle\n');
  put('src/b.ts', 'import { a } from "./a";\n');
  put('gone.txt', 'soon deleted\n');
  put('five.txt', 'one\ntwo\nthree\nfour\nfive\n');
  put('crlf.txt', 'first\r\nsecond\r\n');
  put('bin.dat', Buffer.from([0x50, 0x4b, 0x00, 0x01, 0x6e, 0x65, 0x65, 0x64, 0x6c, 0x65]));
  git(wt, 'add', '.');
  git(wt, 'commit', '-q', '-m', 'init');
  unlinkSync(path.join(wt, 'gone.txt'));
  put('build/out.js', 'needle in build output\n');
  put('debug.log', 'needle in a log\n');
  put('notes/new.txt', 'an untracked needle\n');
  symlinkSync(path.join(outside, 'secret.txt'), path.join(wt, 'leak.txt'));
  symlinkSync('five.txt', path.join(wt, 'five-link.txt'));
});

after(() => rmSync(root, { recursive: true, force: true }));

function ctx(over: Partial<Omit<ToolContext, 'limits'>> & { limits?: Partial<ToolLimits> } = {}): ToolContext {
  const { limits, ...rest } = over;
  return {
    worktree: wt,
    tempDir: path.join(root, 'tmp'),
    signal: new AbortController().signal,
    approval: 'auto',
    requestApproval: async () => true,
    runCommand: localRunner,
    ...rest,
    limits: { ...DEFAULT_TOOL_LIMITS, ...limits },
  };
}

const call = (name: string, args: unknown, c: ToolContext = ctx()) => runToolCall(name, JSON.stringify(args), c);

describe('list_files', () => {
  test('lists tracked and untracked files, sorted, without ignored, deleted or .git entries', async () => {
    const r = await call('list_files', { path: null });
    assert.equal(r.ok, true);
    const files = r.output.split('\n');
    assert.deepEqual(files, [...files].sort());
    for (const f of ['.gitignore', 'README.md', 'src/a.ts', 'src/b.ts', 'notes/new.txt', 'five.txt']) assert.ok(files.includes(f), `${f} missing`);
    for (const f of ['build/out.js', 'debug.log', 'gone.txt']) assert.ok(!files.includes(f), `${f} listed`);
    assert.ok(!files.some(f => f.startsWith('.git/') || f === '.git'));
  });

  test('lists one folder, and says how many were left out past the cap', async () => {
    assert.equal((await call('list_files', { path: 'src' })).output, 'src/a.ts\nsrc/b.ts');
    const capped = await call('list_files', {}, ctx({ limits: { listMax: 2 } }));
    const lines = capped.output.split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[2]!, /^… \d+ files in all, only the first 2 shown/);
  });

  test('a name with a line break in it is one entry, shown quoted', async () => {
    mkdirSync(path.join(wt, 'odd'));
    writeFileSync(path.join(wt, 'odd', 'new\nline.txt'), 'x');
    writeFileSync(path.join(wt, 'odd', 'plain.txt'), 'x');
    try {
      assert.equal((await call('list_files', { path: 'odd' })).output, '"odd/new\\nline.txt"\nodd/plain.txt');
    } finally {
      rmSync(path.join(wt, 'odd'), { recursive: true, force: true });
    }
  });

  test("runs no program the repository's configuration names (an fsmonitor would run at every listing)", async () => {
    const marker = path.join(root, 'fsmonitor-ran');
    const monitor = path.join(root, 'fsmonitor.sh');
    writeFileSync(monitor, `#!/bin/sh\ntouch '${marker}'\n`);
    chmodSync(monitor, 0o755);
    git(wt, 'config', 'core.fsmonitor', monitor);
    try {
      assert.equal((await call('list_files', {})).ok, true);
      assert.equal((await call('search', { query: 'needle' })).ok, true);
      assert.equal(existsSync(marker), false, 'the fsmonitor program ran');
    } finally {
      git(wt, 'config', '--unset', 'core.fsmonitor');
    }
  });

  test('refuses paths outside the worktree and reports missing ones', async () => {
    const escape = await call('list_files', { path: '../' });
    assert.equal(escape.ok, false);
    assert.match(escape.output, /^error: path '\.\.\/' is outside the worktree/);
    const missing = await call('list_files', { path: 'nope' });
    assert.equal(missing.ok, false);
    assert.equal(missing.output, "error: 'nope' does not exist");
  });
});

describe('read_file', () => {
  test('shows numbered lines with a header', async () => {
    const r = await call('read_file', { path: 'five.txt', start_line: null, end_line: null });
    assert.equal(r.output, 'five.txt: lines 1-5 of 5\n1\tone\n2\ttwo\n3\tthree\n4\tfour\n5\tfive');
  });

  test('shows a range and says where to read on', async () => {
    const r = await call('read_file', { path: './five.txt', start_line: 2, end_line: 3 });
    assert.equal(r.output, 'five.txt: lines 2-3 of 5\n2\ttwo\n3\tthree\n… the file goes on; read on with start_line=4');
    const tail = await call('read_file', { path: 'five.txt', start_line: 4, end_line: 99 });
    assert.equal(tail.output, 'five.txt: lines 4-5 of 5\n4\tfour\n5\tfive');
  });

  test('refuses bad ranges', async () => {
    const past = await call('read_file', { path: 'five.txt', start_line: 9 });
    assert.equal(past.output, "error: 'five.txt' has 5 lines; start_line 9 is past the end");
    const backwards = await call('read_file', { path: 'five.txt', start_line: 3, end_line: 2 });
    assert.equal(backwards.output, 'error: read_file: end_line (2) is before start_line (3)');
    const zero = await call('read_file', { path: 'five.txt', start_line: 0 });
    assert.match(zero.output, /start_line' must be a whole number of at least 1/);
  });

  test('stops at the size cap and says where to continue', async () => {
    put('long.txt', Array.from({ length: 200 }, (_, i) => `line number ${i + 1}`).join('\n') + '\n');
    const r = await call('read_file', { path: 'long.txt' }, ctx({ limits: { readMaxBytes: 100 } }));
    assert.ok(Buffer.byteLength(r.output) < 250);
    const m = /stopped at line (\d+) to stay within 100 bytes; read on with start_line=(\d+)/.exec(r.output);
    assert.ok(m, r.output);
    assert.equal(Number(m[2]), Number(m[1]) + 1);
    assert.match(r.output, /^long\.txt: lines 1-\d+ of 200\n/);
  });

  test('cuts a single line longer than the cap', async () => {
    put('minified.js', 'x'.repeat(10_000) + '\n');
    const r = await call('read_file', { path: 'minified.js' }, ctx({ limits: { readMaxBytes: 200 } }));
    assert.match(r.output, /line 1 is longer than 200 bytes and was cut/);
    assert.ok(r.output.length < 400);
  });

  test('drops CRs of CRLF files, follows links that stay inside', async () => {
    assert.equal((await call('read_file', { path: 'crlf.txt' })).output, 'crlf.txt: lines 1-2 of 2\n1\tfirst\n2\tsecond');
    assert.match((await call('read_file', { path: 'five-link.txt' })).output, /^five-link\.txt: lines 1-5 of 5/);
  });

  test('refuses folders, binary files, .git, links that lead out and unknown arguments', async () => {
    assert.match((await call('read_file', { path: 'src' })).output, /'src' is a directory; use list_files/);
    assert.match((await call('read_file', { path: 'bin.dat' })).output, /'bin\.dat' is a binary file/);
    assert.match((await call('read_file', { path: '.git/config' })).output, /inside git's metadata/);
    const leak = await call('read_file', { path: 'leak.txt' });
    assert.equal(leak.ok, false);
    assert.doesNotMatch(leak.output, /secret/);
    assert.match((await call('read_file', { file_path: 'five.txt' })).output, /unknown argument 'file_path'; expected 'path', 'start_line', 'end_line'/);
  });
});

describe('search', () => {
  test('finds literal text in tracked and untracked files, skipping ignored and binary ones', async () => {
    const r = await call('search', { query: 'needle', path: null, regex: null });
    assert.equal(r.ok, true);
    const lines = r.output.split('\n');
    assert.deepEqual(lines.slice(0, -1).sort(), ['README.md:2: needle in the readme', 'notes/new.txt:1: an untracked needle', 'src/a.ts:3: // needle']);
    assert.equal(lines.at(-1), '3 matching lines in 3 files');
  });

  test('is literal by default and a regular expression on request', async () => {
    assert.match((await call('search', { query: 'a.b(' })).output, /^src\/a\.ts:2: export const b = a\.b\(2\);/);
    const re = await call('search', { query: '^export const [ab] =', regex: true, path: 'src' });
    assert.equal(re.output.split('\n').length, 3);
    const bad = await call('search', { query: 'a(', regex: true });
    assert.equal(bad.ok, false);
    assert.match(bad.output, /search failed: .*POSIX extended regular expression/s);
  });

  test('limits to a path, caps results and reports no match', async () => {
    assert.match((await call('search', { query: 'needle', path: 'src' })).output, /^src\/a\.ts:3: \/\/ needle\n1 matching line in 1 file$/);
    const capped = await call('search', { query: 'e' }, ctx({ limits: { listMax: 2 } }));
    assert.equal(capped.output.split('\n').length, 3);
    assert.match(capped.output, /only the first 2 matches are shown; there are more/);
    const none = await call('search', { query: 'no such text anywhere' });
    assert.deepEqual(none, { ok: true, output: 'no matches for "no such text anywhere" in \'.\'' });
    assert.match((await call('search', { query: 'needle', path: '../outside' })).output, /outside the worktree/);
  });
});

describe('write_file', () => {
  test('creates files and folders, and reports what changed', async () => {
    const r = await call('write_file', { path: 'gen/deep/out.txt', content: 'hello\n' });
    assert.deepEqual(r, { ok: true, output: "created 'gen/deep/out.txt' (6 bytes)", filesChanged: ['gen/deep/out.txt'] });
    assert.equal(readFileSync(path.join(wt, 'gen/deep/out.txt'), 'utf8'), 'hello\n');
  });

  test('replaces a file, keeping its permission bits, and leaves no temporary files', async () => {
    put('run.sh', '#!/bin/sh\necho old\n');
    chmodSync(path.join(wt, 'run.sh'), 0o755);
    const r = await call('write_file', { path: 'run.sh', content: '#!/bin/sh\necho new\n' });
    assert.equal(r.output, "replaced 'run.sh' (19 bytes)");
    assert.equal(statSync(path.join(wt, 'run.sh')).mode & 0o777, 0o755);
    assert.deepEqual(
      (await call('list_files', {})).output.split('\n').filter(f => f.includes('.tmp')),
      [],
    );
  });

  test('writes through a link that stays inside to its target', async () => {
    put('target.txt', 'before\n');
    symlinkSync('target.txt', path.join(wt, 'alias.txt'));
    await call('write_file', { path: 'alias.txt', content: 'after\n' });
    assert.equal(readFileSync(path.join(wt, 'target.txt'), 'utf8'), 'after\n');
  });

  test('refuses to write outside, into .git, onto a folder, or in a read-only session', async () => {
    const leak = await call('write_file', { path: 'leak.txt', content: 'pwned\n' });
    assert.equal(leak.ok, false);
    assert.equal(readFileSync(path.join(outside, 'secret.txt'), 'utf8'), 'secret needle\n');
    assert.equal((await call('write_file', { path: '../outside/new.txt', content: 'x' })).ok, false);
    assert.ok(!existsSync(path.join(outside, 'new.txt')));
    assert.match((await call('write_file', { path: '.git/hooks/pre-commit', content: 'x' })).output, /inside git's metadata/);
    assert.match((await call('write_file', { path: 'src', content: 'x' })).output, /'src' is a directory/);
    const ro = await call('write_file', { path: 'README.md', content: 'gone' }, ctx({ approval: 'read-only' }));
    assert.equal(ro.ok, false);
    assert.match(ro.output, /^error: write_file is not available: this session is read-only/);
    assert.equal(readFileSync(path.join(wt, 'README.md'), 'utf8'), '# Demo\nneedle in the readme\n');
  });
});

describe('paths the user denies (sandbox.denyRead inside the worktree)', () => {
  test('are neither read, searched, written nor patched, by their name or through a link', async () => {
    put('.env', 'API_TOKEN=sk-live-123\n');
    put('secrets/key.txt', 'sk-live-456\n');
    symlinkSync('.env', path.join(wt, 'env-link'));
    symlinkSync('secrets', path.join(wt, 'sec-link'));
    const policy = deniedInWorktree(wt, ['.env', 'secrets/', '~/.ssh', '**/*.pem', '../outside', path.join(wt, 'build')], '/home/u');
    assert.deepEqual(policy, ['.env', 'secrets', 'build']);
    const c = ctx({ denied: policy });
    try {
      for (const [name, args] of [
        ['read_file', { path: '.env' }], ['read_file', { path: 'secrets/key.txt' }], ['read_file', { path: 'env-link' }],
        ['search', { query: 'sk-live', path: 'secrets' }], ['write_file', { path: '.env', content: 'x' }],
        ['list_files', { path: 'secrets' }],
        // Through a link to a denied folder, a file not made yet is in that folder all the same.
        ['write_file', { path: 'sec-link/new.txt', content: 'x' }],
        ['apply_patch', { patch: '*** Begin Patch\n*** Update File: .env\n@@\n-API_TOKEN=sk-live-123\n+API_TOKEN=x\n*** End Patch' }],
        ['apply_patch', { patch: '*** Begin Patch\n*** Add File: sec-link/p.txt\n+x\n*** End Patch' }],
        ['apply_patch', { patch: '*** Begin Patch\n*** Update File: five.txt\n*** Move to: sec-link/five.txt\n@@\n one\n*** End Patch' }],
      ] as const) {
        const r = await call(name, args, c);
        assert.equal(r.ok, false, `${name} ${JSON.stringify(args)}: ${r.output}`);
        assert.match(r.output, /is in switchyard\.sandbox\.denyRead: neither the tools nor commands may read or change it/);
      }
      const found = await call('search', { query: 'sk-live' }, c);
      assert.equal(found.ok, true);
      assert.doesNotMatch(found.output, /sk-live-\d/, 'a denied file is left out of a search');
      // Left out by git itself: whether a denied file matches is not told by the answer either.
      for (const query of ['API_TOKEN=sk-live-1', 'API_TOKEN=sk-live-9']) {
        assert.equal((await call('search', { query, regex: true }, c)).output, `no matches for ${JSON.stringify(query)} in '.'`);
      }
      const listed = (await call('list_files', {}, c)).output.split('\n');
      assert.ok(listed.includes('README.md') && !listed.some(f => f === '.env' || f.startsWith('secrets/')), listed.join(' '));
      assert.equal(existsSync(path.join(wt, 'secrets', 'new.txt')) || existsSync(path.join(wt, 'secrets', 'p.txt')) || existsSync(path.join(wt, 'secrets', 'five.txt')), false);
      assert.equal(readFileSync(path.join(wt, '.env'), 'utf8'), 'API_TOKEN=sk-live-123\n');
      assert.match((await call('search', { query: 'sk-live' })).output, /\.env:1: API_TOKEN=sk-live-123/, 'without the denial it is found');
      assert.equal((await call('read_file', { path: 'README.md' }, c)).ok, true);
    } finally {
      for (const f of ['.env', 'env-link', 'sec-link', 'secrets']) rmSync(path.join(wt, f), { recursive: true, force: true });
    }
  });
});

describe('finish and the dispatcher', () => {
  test('finish carries the summary', async () => {
    const r = await call('finish', { summary: '  Fixed the bug; tests pass.  ' });
    assert.deepEqual(r, { ok: true, output: 'finished', finish: { summary: 'Fixed the bug; tests pass.' } });
    assert.match((await call('finish', { summary: ' ' })).output, /'summary' must not be empty/);
  });

  test('unknown tools, invalid JSON and non-object arguments come back as tool errors', async () => {
    assert.match((await runToolCall('delete_repo', '{}', ctx())).output, /^error: there is no tool named 'delete_repo'; the tools are list_files, read_file/);
    assert.match((await runToolCall('read_file', '{"path": ', ctx())).output, /^error: the arguments of read_file are not valid JSON/);
    assert.match((await runToolCall('read_file', '["five.txt"]', ctx())).output, /arguments must be a JSON object/);
    assert.equal((await runToolCall('list_files', '', ctx())).ok, true);
  });
});

describe('schemas', () => {
  test('tools come in a fixed order', () => {
    assert.deepEqual(TOOLS.map(t => t.name), ['list_files', 'read_file', 'search', 'write_file', 'apply_patch', 'run_command', 'finish']);
    assert.ok(Object.isFrozen(TOOLS));
    assert.ok(TOOLS.every(t => Object.isFrozen(t.parameters.properties) && Object.isFrozen(t.parameters.required)));
  });

  test('schemas are strict-compatible: no extra properties, every property required', () => {
    for (const t of TOOLS) {
      assert.equal(t.parameters.type, 'object');
      assert.equal(t.parameters.additionalProperties, false);
      assert.deepEqual([...t.parameters.required], Object.keys(t.parameters.properties), t.name);
    }
  });

  test('Responses and Chat shapes, byte for byte the same on every call', () => {
    const a = JSON.stringify(toolSchemasForResponses());
    assert.equal(a, JSON.stringify(toolSchemasForResponses()));
    const first = toolSchemasForResponses()[0]!;
    assert.deepEqual(Object.keys(first), ['type', 'name', 'description', 'parameters', 'strict']);
    assert.equal(first.strict, true);
    const chat = toolSchemasForChat();
    assert.equal(JSON.stringify(chat), JSON.stringify(toolSchemasForChat()));
    assert.deepEqual(Object.keys(chat[1]!.function), ['name', 'description', 'parameters']);
    assert.equal(chat[1]!.function.name, 'read_file');
    assert.equal(toolSchemasForChat({ strict: true })[0]!.function.strict, true);
    const firstParams = JSON.stringify(toolSchemasForResponses()[1]!.parameters);
    assert.ok(firstParams.startsWith('{"type":"object","properties":{"path":'), firstParams);
  });
});
