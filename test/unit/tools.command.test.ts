import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type CommandRunner,
  type CommandRunOptions,
  createLocalRunner,
  DEFAULT_TOOL_LIMITS,
  runToolCall,
  type ToolContext,
  type ToolLimits,
} from '../../src/host/agent/tools';

let root: string;
let wt: string;
const runner = createLocalRunner({ killGraceMs: 300 });

before(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sy-cmd-')));
  wt = path.join(root, 'wt');
  mkdirSync(wt);
  mkdirSync(path.join(root, 'tmp'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function opts(over: Partial<CommandRunOptions> = {}): CommandRunOptions {
  return { cwd: wt, timeoutMs: 10_000, signal: new AbortController().signal, outputCapBytes: 64 * 1024, ...over };
}

/** Alive means running: a zombie waiting for a reaper that may never come (PID 1 in a container) is dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc/self');
  }
}

/** Polls a condition that has no event to await (another process's death or file), up to a deadline. */
async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

const pidIn = (file: string) => Number(readFileSync(path.join(wt, file), 'utf8').trim());

describe('local runner', () => {
  test('runs in the worktree with no stdin, interleaving stdout and stderr, and reports the exit code', async () => {
    const r = await runner('pwd; echo to-err 1>&2; cat; echo done; exit 3', opts());
    assert.deepEqual(r, { exitCode: 3, output: `${wt}\nto-err\ndone\n`, truncated: false, timedOut: false });
  });

  test('keeps the API key out of the environment and adds the caller\'s variables', async () => {
    const keyed = createLocalRunner({ baseEnv: { ...process.env, OPENAI_API_KEY: 'sk-secret', GIT_DIR: '/elsewhere' } });
    const r = await keyed('echo "key=${OPENAI_API_KEY:-none} gitdir=${GIT_DIR:-none} extra=$EXTRA"', opts({ env: { EXTRA: 'yes' } }));
    assert.equal(r.output, 'key=none gitdir=none extra=yes\n');
  });

  test('a timeout kills the whole process group, children included', async () => {
    const started = Date.now();
    // Long enough for the shell to start and write the pid on a loaded machine.
    const r = await runner('sleep 30 & echo $! > timeout-child.pid; wait', opts({ timeoutMs: 2_000 }));
    assert.equal(r.timedOut, true);
    assert.equal(r.exitCode, null);
    assert.equal(r.signal, 'SIGTERM');
    assert.ok(Date.now() - started < 5000);
    const child = pidIn('timeout-child.pid');
    await until(() => !isAlive(child), `the child sleep ${child} is gone`);
  });

  test('a group that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const r = await runner("trap '' TERM; sleep 30 & echo $! > stubborn.pid; wait; wait", opts({ timeoutMs: 2_000 }));
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    const child = pidIn('stubborn.pid');
    await until(() => !isAlive(child), `the stubborn sleep ${child} is gone`);
  });

  test('an abort stops the command and its children', async () => {
    const ac = new AbortController();
    const pending = runner('sleep 30 & echo $! > aborted.pid; wait', opts({ signal: ac.signal }));
    await until(() => existsSync(path.join(wt, 'aborted.pid')) && readFileSync(path.join(wt, 'aborted.pid'), 'utf8').endsWith('\n'), 'the command started');
    ac.abort();
    const r = await pending;
    assert.equal(r.timedOut, false);
    assert.equal(r.exitCode, null);
    const child = pidIn('aborted.pid');
    await until(() => !isAlive(child), `the aborted sleep ${child} is gone`);
    const early = await runner('echo never', opts({ signal: ac.signal }));
    assert.deepEqual(early, { exitCode: null, output: '', truncated: false, timedOut: false });
  });

  test('background processes do not outlive a command that ended normally', async () => {
    const r = await runner('sleep 30 >/dev/null 2>&1 & echo $! > bg.pid', opts());
    assert.equal(r.exitCode, 0);
    const child = pidIn('bg.pid');
    await until(() => !isAlive(child), `the background sleep ${child} is gone`);
  });

  test('long output keeps its head and tail and says how much was cut', async () => {
    const r = await runner("echo START; head -c 100000 /dev/zero | tr '\\0' x; echo; echo END", opts({ outputCapBytes: 1000 }));
    assert.equal(r.truncated, true);
    assert.ok(r.output.startsWith('START\nxxx'));
    assert.ok(r.output.endsWith('xxx\nEND\n'));
    const m = /… \[(\d+) bytes of output cut here; (\d+) bytes in all\] …/.exec(r.output);
    assert.ok(m, r.output.slice(0, 200));
    assert.equal(Number(m[2]), 6 + 100_000 + 1 + 4);
    assert.equal(Number(m[1]), Number(m[2]) - 1000);
  });
});

describe('run_command', () => {
  interface Spy {
    ctx: ToolContext;
    asked: string[];
    ran: string[];
  }
  function spy(over: Partial<Omit<ToolContext, 'limits'>> & { answer?: boolean | 'never'; limits?: Partial<ToolLimits> } = {}): Spy {
    const { answer = true, limits, ...rest } = over;
    const s: Spy = { asked: [], ran: [], ctx: undefined as unknown as ToolContext };
    const counting: CommandRunner = (cmd, o) => {
      s.ran.push(cmd);
      return runner(cmd, o);
    };
    s.ctx = {
      worktree: wt,
      tempDir: path.join(root, 'tmp'),
      signal: new AbortController().signal,
      approval: 'auto',
      requestApproval: cmd => {
        s.asked.push(cmd);
        return answer === 'never' ? new Promise<boolean>(() => undefined) : Promise.resolve(answer);
      },
      runCommand: counting,
      ...rest,
      limits: { ...DEFAULT_TOOL_LIMITS, ...limits },
    };
    return s;
  }
  const run = (s: Spy, command: string) => runToolCall('run_command', JSON.stringify({ command }), s.ctx);

  test('auto: runs without asking, with TMPDIR set to the session temp folder', async () => {
    const s = spy();
    const ok = await run(s, 'echo "tmp=$TMPDIR"');
    assert.deepEqual(ok, { ok: true, output: `tmp=${path.join(root, 'tmp')}\n[exit code 0]` });
    const failed = await run(s, 'echo nope >&2; exit 4');
    assert.deepEqual(failed, { ok: false, output: 'nope\n[exit code 4]' });
    assert.deepEqual((await run(s, 'true')).output, '(no output)\n[exit code 0]');
    assert.deepEqual(s.asked, []);
  });

  test('ask: asks first and runs only when approved', async () => {
    const yes = spy({ approval: 'ask', answer: true });
    assert.equal((await run(yes, 'echo approved')).output, 'approved\n[exit code 0]');
    assert.deepEqual(yes.asked, ['echo approved']);
    const no = spy({ approval: 'ask', answer: false });
    const denied = await run(no, 'rm -rf build');
    assert.equal(denied.ok, false);
    assert.match(denied.output, /^error: the user denied running this command: rm -rf build/);
    assert.deepEqual(no.ran, []);
  });

  test('ask: a stop while waiting for the user counts as a denial', async () => {
    const ac = new AbortController();
    const s = spy({ approval: 'ask', answer: 'never', signal: ac.signal });
    const pending = run(s, 'echo waiting');
    await until(() => s.asked.length === 1, 'the approval was requested');
    ac.abort();
    const r = await pending;
    assert.deepEqual(r, { ok: false, output: 'error: the session was stopped while waiting for approval; the command did not run' });
    assert.deepEqual(s.ran, []);
  });

  test('read-only: refused without asking and without running', async () => {
    const s = spy({ approval: 'read-only' });
    const r = await run(s, 'touch x');
    assert.match(r.output, /^error: run_command is not available: this session is read-only/);
    assert.deepEqual(s.asked, []);
    assert.deepEqual(s.ran, []);
    assert.ok(!existsSync(path.join(wt, 'x')));
  });

  test('a timeout is reported to the model', async () => {
    const s = spy({ limits: { commandTimeoutMs: 1_500 } });
    const r = await run(s, 'echo before; sleep 30');
    assert.equal(r.ok, false);
    assert.equal(r.output, 'before\n[timed out after 1.5 s; the command and everything it started were stopped]');
  });

  test('a command that cannot start is a tool error', async () => {
    const s = spy({ worktree: path.join(root, 'missing') });
    const r = await run(s, 'echo hi');
    assert.equal(r.ok, false);
    assert.match(r.output, /^error: the command could not be started/);
  });
});
