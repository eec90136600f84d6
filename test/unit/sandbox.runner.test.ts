// The sandboxed runner on a real sandbox: a scripted agent's commands try to get out of the worktree
// (other folders, another session, symlinks, the checkout, credentials, the network) and every attempt
// fails while the session goes on; work inside the worktree succeeds.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { DEFAULT_TOOL_LIMITS, runToolCall, type CommandRunOptions, type ToolContext, type ToolResult } from '../../src/host/agent/tools';
import { type SandboxAvailability, sandboxAvailability } from '../../src/host/sandbox/availability';
import { disposeSandboxRuntime } from '../../src/host/sandbox/runtime';
import { sessionPolicy } from '../../src/host/sandbox/policy';
import { userCheckouts } from '../../src/host/sandbox/userCheckouts';
import { createSandboxRunner } from '../../src/host/sandbox/sandboxRunner';
import { DEFAULT_SETTINGS } from '../../src/host/settings';
import { makeWorld, processesRunning, SECRET, type SandboxWorld, until, writeNetProbe } from './sandbox.fixture';
import { sh } from './helpers/git-fixtures';

let w: SandboxWorld;
let available: SandboxAvailability;
let server: net.Server;
let serverPort: number;
let connections = 0;
let netProbe: string;
const realHomeTarget = path.join(os.userInfo().homedir, `.switchyard-sandbox-test-${process.pid}`);

before(async () => {
  w = makeWorld();
  available = await sandboxAvailability();
  netProbe = writeNetProbe(w.outside);
  server = net.createServer(s => {
    connections++;
    s.on('error', () => undefined);
    s.end('hello from the host\n');
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  serverPort = (server.address() as net.AddressInfo).port;
});

after(async () => {
  server?.close();
  await disposeSandboxRuntime();
  rmSync(realHomeTarget, { force: true });
  w?.dispose();
});

function needsSandbox(t: TestContext): boolean {
  if (available.ok) return true;
  t.skip(`the OS sandbox is unavailable on this machine: ${available.reason}`);
  return false;
}

const runner = () => createSandboxRunner({ policy: w.policy, killGraceMs: 300 });

function opts(over: Partial<CommandRunOptions> = {}): CommandRunOptions {
  return { cwd: w.worktree, timeoutMs: 20_000, signal: new AbortController().signal, outputCapBytes: 64 * 1024, ...over };
}

function agent(): ToolContext {
  return {
    worktree: w.worktree,
    tempDir: w.tempDir,
    signal: new AbortController().signal,
    approval: 'auto',
    requestApproval: () => Promise.reject(new Error('a sandboxed auto session never asks')),
    runCommand: runner(),
    limits: { ...DEFAULT_TOOL_LIMITS, commandTimeoutMs: 20_000 },
  };
}

const run = (ctx: ToolContext, command: string): Promise<ToolResult> => runToolCall('run_command', JSON.stringify({ command }), ctx);

/** The command failed, said why, and the tool call came back normally with its exit code. */
function assertRefused(r: ToolResult, why: RegExp, command: string): void {
  assert.equal(r.ok, false, `expected \`${command}\` to fail, got:\n${r.output}`);
  assert.match(r.output, why, `\`${command}\` failed for another reason:\n${r.output}`);
  assert.match(r.output, /\[exit code [1-9]\d*\]$/, r.output);
}

describe('a scripted agent in the sandbox', () => {
  test('cannot write outside its worktree: home, a real path outside, another session, symlinks, the checkout', async t => {
    if (!needsSandbox(t)) return;
    const ctx = agent();
    const before = sh(w.main, 'rev-parse', 'HEAD');
    const attempts: [string, RegExp][] = [
      ['echo pwned > "$HOME/pwned.txt"', /Read-only file system/],
      [`echo pwned > '${realHomeTarget}'`, /Read-only file system/],
      [`echo pwned > '${w.outside}/new.txt'`, /Read-only file system/],
      // The other worktree lies in the Switchyard home, which is hidden: it is not even there to write.
      [`echo pwned > '${w.otherWorktree}/README.md'`, /Directory nonexistent|No such file or directory/],
      [`rm '${w.otherWorktree}/README.md'`, /No such file or directory/],
      [`ln -s '${w.outside}' escape && echo pwned > escape/new.txt`, /Read-only file system/],
      [`ln -s '${w.outside}/keep.txt' keep-link && echo pwned > keep-link`, /Read-only file system/],
      [`rm -rf '${w.main}/src'`, /Read-only file system/],
      [`rm '${w.main}/README.md'`, /Read-only file system/],
      [`git -C '${w.main}' commit --allow-empty -q -m pwned`, /Read-only file system/],
      // The worktree's .git says which repository the host's own git works on.
      ['echo "gitdir: /tmp/evil" > .git', /Read-only file system|Device or resource busy/],
    ];
    for (const [command, why] of attempts) assertRefused(await run(ctx, command), why, command);

    assert.ok(!existsSync(path.join(w.userHome, 'pwned.txt')));
    assert.ok(!existsSync(realHomeTarget));
    assert.ok(!existsSync(path.join(w.outside, 'new.txt')));
    assert.equal(readFileSync(path.join(w.outside, 'keep.txt'), 'utf8'), 'keep\n');
    assert.equal(readFileSync(path.join(w.otherWorktree, 'README.md'), 'utf8'), '# demo\n');
    assert.equal(readFileSync(path.join(w.main, 'README.md'), 'utf8'), '# demo\n');
    assert.ok(existsSync(path.join(w.main, 'src', 'app.txt')));
    assert.equal(sh(w.main, 'rev-parse', 'HEAD'), before);
    assert.match(readFileSync(path.join(w.worktree, '.git'), 'utf8'), /^gitdir: /);
    // The session goes on: the next command runs as usual.
    assert.deepEqual(await run(ctx, 'echo still here'), { ok: true, output: 'still here\n[exit code 0]' });
  });

  test('cannot read credentials or the Switchyard home, but reads its own worktree inside it', async t => {
    if (!needsSandbox(t)) return;
    const ctx = agent();
    for (const command of ['cat "$HOME/.ssh/id_ed25519"', 'cat ~/.aws/credentials', `cat '${w.switchyardHome}/ledger/2026-11.jsonl'`, `cat '${w.otherWorktree}/README.md'`]) {
      const r = await run(ctx, command);
      assertRefused(r, /No such file or directory/, command);
      assert.ok(!r.output.includes(SECRET), r.output);
    }
    assert.deepEqual(await run(ctx, 'cat README.md'), { ok: true, output: '# demo\n[exit code 0]' });
    // Reads outside the deny list stay allowed.
    assert.deepEqual(await run(ctx, `cat '${w.outside}/keep.txt'`), { ok: true, output: 'keep\n[exit code 0]' });
  });

  test('a project file denied (.env) is denied in the user\'s checkouts too, where an ignored one lives; secrets of the environment are not passed', async t => {
    if (!needsSandbox(t)) return;
    // The user's own linked worktree, outside the Switchyard home, with a .env of its own.
    const feature = path.join(path.dirname(w.main), 'feature');
    if (!existsSync(feature)) sh(w.main, 'worktree', 'add', '-q', '-b', 'feature', feature);
    writeFileSync(path.join(w.main, '.env'), `DB_PASSWORD=${SECRET}\n`);
    writeFileSync(path.join(feature, '.env'), `DB_PASSWORD=${SECRET}\n`);
    const checkouts = await userCheckouts(w.main, [w.switchyardHome]);
    assert.deepEqual(checkouts.sort(), [realpathSync(feature), realpathSync(w.main)].sort(), "the main checkout and the user's worktree, not the sessions'");
    const policy = sessionPolicy({ worktree: w.worktree, tempDir: w.tempDir, switchyardHome: w.switchyardHome, denyRead: [...DEFAULT_SETTINGS.sandbox.denyRead, '.env'], checkouts });
    const denied = createSandboxRunner({ policy, killGraceMs: 300, baseEnv: { ...process.env, GITHUB_TOKEN: SECRET, AWS_SECRET_ACCESS_KEY: SECRET } });
    const r = await denied(`cat '${w.main}/.env'; cat '${feature}/.env'; cat "$(dirname "$(git rev-parse --path-format=absolute --git-common-dir)")/.env"; git worktree list --porcelain | sed -n 's/^worktree //p' | while read d; do cat "$d/.env"; done; env`, opts());
    assert.ok(!r.output.includes(SECRET), r.output);
    assert.equal(readFileSync(path.join(w.main, '.env'), 'utf8'), `DB_PASSWORD=${SECRET}\n`, 'left as it was');
    // Without the user's worktree in the policy, it is readable: the test reads what it says.
    const mainOnly = createSandboxRunner({ policy: sessionPolicy({ worktree: w.worktree, tempDir: w.tempDir, switchyardHome: w.switchyardHome, denyRead: ['.env'], checkouts: [w.main] }), killGraceMs: 300 });
    assert.match((await mainOnly(`cat '${feature}/.env'`, opts())).output, new RegExp(SECRET));
  });

  test('cannot open a connection to a loopback port that is not allowed, directly or through the proxy', async t => {
    if (!needsSandbox(t)) return;
    const ctx = agent();
    const node = process.execPath;
    assertRefused(await run(ctx, `'${node}' '${netProbe}' direct ${serverPort}`), /direct: cannot connect/, 'direct');
    assertRefused(await run(ctx, `'${node}' '${netProbe}' proxy ${serverPort}`), /proxy: refused: HTTP\/1\.1 403/, 'proxy');
    assert.equal(connections, 0, 'the host server saw a connection from the sandbox');
    // The same probe, unconfined, does reach the server: the probe itself works.
    const { createLocalRunner } = await import('../../src/host/agent/tools/localRunner');
    const local = await createLocalRunner()(`'${node}' '${netProbe}' direct ${serverPort}`, opts());
    assert.equal(local.exitCode, 0, local.output);
    assert.equal(connections, 1);
  });

  test('writes and builds inside the worktree and its temp folder succeed', async t => {
    if (!needsSandbox(t)) return;
    const ctx = agent();
    assert.deepEqual(await run(ctx, 'echo hello > note.txt && cat note.txt'), { ok: true, output: 'hello\n[exit code 0]' });
    assert.equal(readFileSync(path.join(w.worktree, 'note.txt'), 'utf8'), 'hello\n');
    assert.deepEqual(await run(ctx, "sh -c 'mkdir out && echo hi > out/a && cat out/a'"), { ok: true, output: 'hi\n[exit code 0]' });
    assert.equal(readFileSync(path.join(w.worktree, 'out', 'a'), 'utf8'), 'hi\n');
    const tmp = await run(ctx, 'f=$(mktemp) && echo scratch > "$f" && echo "$f"');
    assert.equal(tmp.ok, true, tmp.output);
    const file = tmp.output.split('\n')[0]!;
    assert.equal(path.dirname(file), w.tempDir);
    assert.equal(readFileSync(file, 'utf8'), 'scratch\n');
    // git reads the checkout's repository from inside the worktree.
    const status = await run(ctx, 'git status --porcelain');
    assert.equal(status.ok, true, status.output);
    assert.match(status.output, /\?\? note\.txt/);
  });
});

describe('the sandboxed runner keeps the local runner\'s contract', () => {
  test('exit code, interleaved output, no stdin, and no API key in the environment', async t => {
    if (!needsSandbox(t)) return;
    const keyed = createSandboxRunner({ policy: w.policy, baseEnv: { ...process.env, OPENAI_API_KEY: 'sk-secret' } });
    const r = await keyed('pwd; echo to-err 1>&2; cat; echo "key=${OPENAI_API_KEY:-none} extra=$EXTRA"; exit 3', opts({ env: { EXTRA: 'yes' } }));
    assert.deepEqual(r, { exitCode: 3, output: `${w.worktree}\nto-err\nkey=none extra=yes\n`, truncated: false, timedOut: false });
  });

  test('a timeout ends the command and everything it started', async t => {
    if (!needsSandbox(t)) return;
    const started = Date.now();
    const r = await runner()('sleep 31.25 & wait', opts({ timeoutMs: 500 }));
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.ok(Date.now() - started < 5000);
    await until(() => processesRunning(['sleep', '31.25']).length === 0, 'the sandboxed sleep is gone');
  });

  test('a stop ends the command and everything it started; a stopped session runs nothing', async t => {
    if (!needsSandbox(t)) return;
    const ac = new AbortController();
    const pending = runner()('sleep 32.25 & echo started > started.txt; wait', opts({ signal: ac.signal }));
    await until(() => processesRunning(['sleep', '32.25']).length === 1, 'the sandboxed sleep runs');
    ac.abort();
    const r = await pending;
    assert.equal(r.timedOut, false);
    assert.equal(r.exitCode, null);
    await until(() => processesRunning(['sleep', '32.25']).length === 0, 'the sandboxed sleep is gone');
    assert.deepEqual(await runner()('echo never > never.txt', opts({ signal: ac.signal })), { exitCode: null, output: '', truncated: false, timedOut: false });
    assert.ok(!existsSync(path.join(w.worktree, 'never.txt')));
  });

  test('background processes do not outlive a command that ended normally', async t => {
    if (!needsSandbox(t)) return;
    const r = await runner()('sleep 33.25 >/dev/null 2>&1 &', opts());
    assert.equal(r.exitCode, 0, r.output);
    await until(() => processesRunning(['sleep', '33.25']).length === 0, 'the background sleep is gone');
  });

  test('long output keeps its head and tail', async t => {
    if (!needsSandbox(t)) return;
    const r = await runner()("echo START; head -c 100000 /dev/zero | tr '\\0' x; echo; echo END", opts({ outputCapBytes: 1000 }));
    assert.equal(r.truncated, true);
    assert.ok(r.output.startsWith('START\nxxx'), r.output.slice(0, 100));
    assert.ok(r.output.endsWith('xxx\nEND\n'));
  });
});
