// How a session's commands are set up: sandboxed when the sandbox works, asking (never silently
// unconfined) when it does not, unconfined with a warning when the user turned it off, nothing in an
// untrusted workspace; the policy each sandbox gets; the `command` agent's process wrap; availability.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { HostSettings } from '../../src/protocol/host';
import type { ApprovalPolicy } from '../../src/protocol/types';
import { childEnv } from '../../src/host/agent/tools/env';
import { ToolError } from '../../src/host/agent/tools/errors';
import { localRunner } from '../../src/host/agent/tools/localRunner';
import type { CommandRunOptions } from '../../src/host/agent/tools/types';
import { homeLayout } from '../../src/host/home';
import { installCommand, type SandboxAvailability, sandboxAvailability, UNAVAILABLE_ENV } from '../../src/host/sandbox/availability';
import { measureSandboxStartup, median } from '../../src/host/sandbox/bench';
import { commandSetupFor, SANDBOX_OFF_NOTE, type SessionForCommands } from '../../src/host/sandbox/commandSetup';
import { SandboxError, SandboxInterruptedError, SandboxUnavailableError } from '../../src/host/sandbox/errors';
import { sessionPolicy, writeDenials } from '../../src/host/sandbox/policy';
import { disposeSandboxRuntime, startFailure } from '../../src/host/sandbox/runtime';
import { withDefaults } from '../../src/host/settings';
import { InterruptedError } from '../../src/host/errors';
import { sandboxProblem } from '../../src/host/sessions/preflight';
import { makeWorld, type SandboxWorld, writeNetProbe } from './sandbox.fixture';

let w: SandboxWorld;
let available: SandboxAvailability;
const logs: string[] = [];
const log = (level: string, message: string) => logs.push(`${level}: ${message}`);

before(async () => {
  w = makeWorld();
  available = await sandboxAvailability();
});

after(async () => {
  await disposeSandboxRuntime();
  w?.dispose();
});

function needsSandbox(t: TestContext): boolean {
  if (available.ok) return true;
  t.skip(`the OS sandbox is unavailable on this machine: ${available.reason}`);
  return false;
}

function session(approval: ApprovalPolicy = 'auto'): SessionForCommands {
  return { id: 'a', record: { approval, worktree: w.worktree, repo: w.main }, paths: { tempDir: w.tempDir } };
}

function settings(over: Omit<Partial<HostSettings>, 'sandbox'> & { sandbox?: Partial<HostSettings['sandbox']> } = {}): HostSettings {
  const base = withDefaults({});
  return { ...base, ...over, sandbox: { ...base.sandbox, ...over.sandbox } };
}

const setup = (s: SessionForCommands, st: HostSettings, availability?: () => Promise<SandboxAvailability>) =>
  commandSetupFor(s, st, homeLayout(w.switchyardHome), log, availability ? { availability } : {});

function opts(over: Partial<CommandRunOptions> = {}): CommandRunOptions {
  return { cwd: w.worktree, timeoutMs: 20_000, signal: new AbortController().signal, outputCapBytes: 64 * 1024, ...over };
}

describe('commandSetupFor', () => {
  test('an untrusted workspace or a read-only session runs no command and no agent process', async () => {
    for (const [s, st, note] of [
      [session('auto'), settings({ workspaceTrusted: false }), 'The workspace is not trusted: no command runs.'],
      [session('read-only'), settings(), 'Read-only session: no command runs.'],
    ] as const) {
      const c = await setup(s, st, () => assert.fail('no sandbox is needed to run nothing'));
      assert.equal(c.confinement, 'read-only');
      assert.equal(c.note, note);
      assert.equal(c.forceAsk, false);
      await assert.rejects(c.runner('touch x', opts()), ToolError);
      await assert.rejects(c.wrapProcess!(['true'], { cwd: w.worktree, gatewayPort: 1 }), SandboxError);
      assert.ok(!existsSync(path.join(w.worktree, 'x')));
    }
  });

  test('sandbox unavailable: every command asks, the note says why and how to install, no agent process starts', async () => {
    const unavailable = async (): Promise<SandboxAvailability> => ({ ok: false, reason: 'bwrap is not installed', install: 'sudo apt-get install bubblewrap' });
    for (const approval of ['auto', 'ask'] as const) {
      const c = await setup(session(approval), settings(), unavailable);
      assert.equal(c.confinement, 'asking');
      assert.equal(c.forceAsk, true);
      assert.match(c.note!, /The OS sandbox cannot run here: bwrap is not installed\./);
      assert.match(c.note!, /install what is missing: sudo apt-get install bubblewrap/);
      assert.match(c.note!, /every command asks for your approval/);
      // Approved commands then run as the user: the approval is the only guard left.
      assert.equal(c.runner, localRunner);
      await assert.rejects(c.wrapProcess!(['true'], { cwd: w.worktree, gatewayPort: 1 }), (err: unknown) => {
        assert.ok(err instanceof SandboxUnavailableError);
        assert.match(err.message, /bwrap is not installed.*sudo apt-get install bubblewrap/);
        return true;
      });
    }
    assert.ok(logs.some(l => l.startsWith('warn: Session a: The OS sandbox cannot run here')));
  });

  test('a start cancelled by the library\'s own Ctrl-C handler is said as this process stopping, not as a sandbox missing', async () => {
    const failure = startFailure(new Error('initialize() was cancelled by reset()'));
    assert.ok(failure instanceof SandboxInterruptedError);
    assert.ok(startFailure(new Error('socat died')) instanceof SandboxUnavailableError);
    const interrupted = async (): Promise<SandboxAvailability> => ({ ok: false, reason: failure.message, interrupted: true });
    const before = logs.length;
    const c = await setup(session('auto'), settings(), interrupted);
    assert.equal(c.confinement, 'asking', 'its commands still ask: nothing confines them in this run');
    assert.match(c.note!, /^The OS sandbox was still starting when this process was told to stop/);
    assert.doesNotMatch(c.note!, /cannot run here/);
    assert.ok(logs.slice(before).every(l => !l.startsWith('warn:')), logs.slice(before).join('\n'));
  });

  test('a start refused before anything is made, when the process is stopping, is said as stopping (exit 130 in the CLI), not as a sandbox that cannot run', async () => {
    const interrupted = async (): Promise<SandboxAvailability> => ({ ok: false, reason: 'cancelled', interrupted: true });
    await assert.rejects(sandboxProblem(settings(), 'command', 'auto', true, interrupted), (err: unknown) => {
      assert.ok(err instanceof InterruptedError);
      assert.match(err.message, /^Stopped while the OS sandbox was starting, before anything was made or changed\.$/);
      return true;
    });
    const missing = async (): Promise<SandboxAvailability> => ({ ok: false, reason: 'bwrap is not installed' });
    assert.match((await sandboxProblem(settings(), 'command', 'auto', true, missing)) ?? '', /cannot run here: bwrap is not installed/);
  });

  test(`${UNAVAILABLE_ENV} makes the sandbox unavailable, with the install command in the note`, async () => {
    const env = { ...process.env, [UNAVAILABLE_ENV]: '1' };
    const c = await setup(session(), settings(), () => sandboxAvailability({ env }));
    assert.equal(c.confinement, 'asking');
    assert.equal(c.forceAsk, true);
    assert.match(c.note!, new RegExp(`${UNAVAILABLE_ENV}=1 is set`));
    if (process.platform === 'linux') assert.match(c.note!, /install what is missing: .*bubblewrap socat ripgrep/);
  });

  test('sandbox turned off by the user: unconfined, with a warning on the session', async () => {
    for (const approval of ['auto', 'ask'] as const) {
      const c = await setup(session(approval), settings({ sandbox: { enabled: false } }), () => assert.fail('the sandbox is off: no probe'));
      assert.equal(c.confinement, 'unconfined');
      assert.equal(c.note, SANDBOX_OFF_NOTE);
      assert.match(c.note!, /^Warning: the OS sandbox is turned off/);
      assert.equal(c.forceAsk, false);
      assert.equal(c.runner, localRunner);
      assert.equal(c.wrapProcess, undefined);
    }
  });

  test('sandbox available: commands run sandboxed, also under an "ask" policy', async t => {
    if (!needsSandbox(t)) return;
    for (const approval of ['auto', 'ask'] as const) {
      const c = await setup(session(approval), settings());
      assert.equal(c.confinement, 'sandboxed');
      assert.equal(c.forceAsk, false);
      assert.equal(c.note, undefined);
      const inside = await c.runner(`echo ${approval} > inside-${approval}.txt`, opts());
      assert.equal(inside.exitCode, 0, inside.output);
      const outside = await c.runner(`echo pwned > '${w.outside}/pwned.txt'`, opts());
      assert.notEqual(outside.exitCode, 0);
      assert.match(outside.output, /Read-only file system/);
      assert.ok(!existsSync(path.join(w.outside, 'pwned.txt')));
      c.dispose();
    }
  });

  test('allowed domains that are not domains are ignored and named in the note', async t => {
    if (!needsSandbox(t)) return;
    const c = await setup(session(), settings({ sandbox: { allowedDomains: ['registry.npmjs.org', 'http://bad/url'] } }));
    assert.equal(c.confinement, 'sandboxed');
    assert.match(c.note ?? '', /not valid domains: http:\/\/bad\/url/);
    c.dispose();
  });
});

describe('a `command` agent process in the sandbox', () => {
  let gateway: http.Server;
  let other: net.Server;
  let otherConnections = 0;
  const port = (s: net.Server) => (s.address() as net.AddressInfo).port;

  before(async () => {
    gateway = http.createServer((req, res) => res.end(`gateway saw ${req.method} ${req.url}`));
    other = net.createServer(s => {
      otherConnections++;
      s.on('error', () => undefined);
      s.end('other\n');
    });
    await Promise.all([gateway, other].map(s => new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))));
  });
  after(() => {
    gateway.close();
    other.close();
  });

  /** Spawns what wrapProcess returned the way the process runner does; resolves with its exit and output. */
  function launch(argv: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: w.worktree, env: childEnv(process.env, env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', d => (out += d));
    child.stderr.on('data', d => (out += d));
    return new Promise(resolve => child.on('close', code => resolve({ code, out })));
  }

  test('reaches the gateway through OPENAI_BASE_URL, and nothing else on loopback; writes stay in the worktree', async t => {
    if (!needsSandbox(t)) return;
    const dir = path.join(w.root, 'agent');
    mkdirSync(dir, { recursive: true });
    const script = path.join(dir, 'agent.js');
    writeFileSync(
      script,
      `const net = require('node:net'); const fs = require('node:fs');
(async () => {
  const res = await fetch(process.env.OPENAI_BASE_URL + '/models');
  console.log('gateway: ' + res.status + ' ' + await res.text());
  await new Promise(r => { const s = net.connect(Number(process.env.OTHER_PORT), '127.0.0.1'); s.on('connect', () => { console.log('other: connected'); s.destroy(); r(); }); s.on('error', e => { console.log('other: ' + e.code); r(); }); });
  try { fs.writeFileSync(process.env.OUTSIDE + '/agent.txt', 'x'); console.log('outside: written'); } catch (e) { console.log('outside: ' + e.code); }
  fs.writeFileSync('agent-was-here.txt', 'yes'); console.log('tmp: ' + process.env.TMPDIR);
})();`,
    );
    const c = await setup(session(), settings());
    const gw = port(gateway);
    const argv = await c.wrapProcess!([process.execPath, script], { cwd: w.worktree, gatewayPort: gw });
    const r = await launch(argv, { OPENAI_BASE_URL: `http://127.0.0.1:${gw}/v1`, OTHER_PORT: String(port(other)), OUTSIDE: w.outside, TMPDIR: w.tempDir });
    c.dispose();
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /^gateway: 200 gateway saw GET \/v1\/models$/m);
    assert.match(r.out, /^other: ECONNREFUSED$/m);
    assert.match(r.out, /^outside: EROFS$/m);
    assert.match(r.out, new RegExp(`^tmp: ${w.tempDir}$`, 'm'));
    assert.equal(otherConnections, 0);
    assert.ok(existsSync(path.join(w.worktree, 'agent-was-here.txt')));
    assert.ok(!existsSync(path.join(w.outside, 'agent.txt')));
  });

  test('the gateway is open only to the agent it was opened for', async t => {
    if (!needsSandbox(t)) return;
    const c = await setup(session(), settings());
    const gw = port(gateway);
    const probe = writeNetProbe(w.outside);
    // While an agent process holds the gateway open, a plain sandboxed command still cannot reach it,
    // not even through the proxy that carries the agent's connections.
    const argv = await c.wrapProcess!(['sleep', '0.1'], { cwd: w.worktree, gatewayPort: gw });
    for (const mode of ['direct', 'proxy']) {
      const r = await c.runner(`'${process.execPath}' '${probe}' ${mode} ${gw}`, opts());
      assert.equal(r.exitCode, 1, r.output);
      assert.match(r.output, /cannot connect \(ECONNREFUSED\)|refused: HTTP\/1\.1 403/);
    }
    assert.equal((await launch(argv, {})).code, 0);
    c.dispose();
  });
});

describe('policy', () => {
  test('expands ~ in the deny list, always denies the Switchyard home, and reads relative entries against the worktree', () => {
    const p = sessionPolicy({
      worktree: '/sy/repos/r/worktrees/a',
      tempDir: '/sy/repos/r/sessions/a/tmp',
      switchyardHome: '/elsewhere/sy',
      denyRead: ['~/.ssh', '~', '  ', '.env', '~/.ssh', '~/keys/*.pem'],
      homeDir: '/home/u',
    });
    assert.deepEqual(p.denyRead, [
      { path: '/home/u/.ssh', literal: true },
      { path: '/home/u', literal: true },
      { path: '/sy/repos/r/worktrees/a/.env', literal: true },
      '/home/u/keys/*.pem',
      { path: '/elsewhere/sy', literal: true },
    ]);
    assert.equal(p.worktree, '/sy/repos/r/worktrees/a');
    // The user's checkouts' copies of a project file are denied too: an ignored `.env` is only ever there.
    const withCheckout = sessionPolicy({ worktree: '/sy/repos/r/worktrees/a', tempDir: '/t', switchyardHome: '/sy', denyRead: ['.env', 'secrets/*.key', '~/.ssh'], homeDir: '/home/u', checkouts: ['/code/r', '/code/r-feature'] });
    assert.deepEqual(withCheckout.denyRead, [
      { path: '/sy/repos/r/worktrees/a/.env', literal: true },
      { path: '/code/r/.env', literal: true },
      { path: '/code/r-feature/.env', literal: true },
      '/sy/repos/r/worktrees/a/secrets/*.key',
      '/code/r/secrets/*.key',
      '/code/r-feature/secrets/*.key',
      { path: '/home/u/.ssh', literal: true },
      { path: '/sy', literal: true },
    ]);
  });

  test("protects the worktree's .git from writes, and never names a path that is not there", () => {
    const denials = writeDenials(w.policy, w.userHome).map(d => d.path);
    assert.ok(denials.includes(path.join(w.worktree, '.git')));
    for (const d of denials) assert.ok(existsSync(d), d);
  });
});

describe('availability', () => {
  test('names the missing tools and the command that installs them', async t => {
    if (process.platform !== 'linux') return t.skip('the tools checked are Linux ones');
    const r = await sandboxAvailability({ env: { PATH: path.join(w.root, 'empty-bin') } });
    assert.equal(r.ok, false);
    assert.equal(r.ok ? '' : r.reason, 'bwrap, socat, rg are not installed');
    assert.ok(!r.ok && r.install && /(bubblewrap socat ripgrep|bubblewrap, socat, ripgrep)$/.test(r.install), JSON.stringify(r));
  });

  test('install commands follow the distribution', () => {
    const pkgs = ['bubblewrap', 'socat'];
    assert.equal(installCommand(pkgs, 'ID=debian\n'), 'sudo apt-get install bubblewrap socat');
    assert.equal(installCommand(pkgs, 'ID=pop\nID_LIKE="ubuntu debian"\n'), 'sudo apt-get install bubblewrap socat');
    assert.equal(installCommand(pkgs, 'ID="fedora"\n'), 'sudo dnf install bubblewrap socat');
    assert.equal(installCommand(pkgs, 'ID=arch\n'), 'sudo pacman -S bubblewrap socat');
    assert.equal(installCommand(pkgs, 'ID=alpine\n'), 'sudo apk add bubblewrap socat');
    assert.equal(installCommand(pkgs, 'ID=plan9\n'), 'install bubblewrap, socat with your package manager');
  });

  test('a real probe on this machine says the sandbox works (or the tests above were skipped with its reason)', async t => {
    if (!needsSandbox(t)) return;
    assert.deepEqual(await sandboxAvailability(), { ok: true });
  });
});

describe('startup benchmark', () => {
  test('measures the median start of `true`, sandboxed and unconfined', async t => {
    if (!needsSandbox(t)) return;
    const m = await measureSandboxStartup(3);
    assert.equal(m.runs, 3);
    assert.ok(m.unconfinedMedianMs > 0 && Number.isFinite(m.unconfinedMedianMs));
    assert.ok(m.sandboxedMedianMs > m.unconfinedMedianMs, JSON.stringify(m));
    assert.equal(m.overheadMs, m.sandboxedMedianMs - m.unconfinedMedianMs);
    assert.ok(m.sandboxedCpuMedianMs > 0 && m.unconfinedCpuMedianMs > 0, JSON.stringify(m));
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});
