// Child processes started from the launcher process behave as the host needs: output, exit codes, a
// missing program, process groups, and no launcher left keeping a finished process alive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HELPER_NAME, launch, launcherUsage, launcherWanted, useLauncherProcess, type LaunchedProcess } from '../../src/host/util/launcher';
import { childrenNamed } from '../benchSuite/procStats';
import { buildHelper } from './helpers/childProcess';

let tmp: string;
before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-launcher-'))));
after(() => {
  void useLauncherProcess(false);
  rmSync(tmp, { recursive: true, force: true });
});

interface Ended {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
  events: string[];
}

function collect(p: LaunchedProcess): Promise<Ended> {
  return new Promise(resolve => {
    let stdout = '';
    let stderr = '';
    let error: NodeJS.ErrnoException | undefined;
    const events: string[] = [];
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.stdout.on('end', () => events.push('stdout end'));
    p.on('error', e => ((error = e), events.push('error')));
    p.on('exit', () => events.push('exit'));
    p.on('close', (code, signal) => {
      events.push('close');
      resolve({ stdout, stderr, code, signal, error, events });
    });
  });
}

// Each behaviour, with processes started from the launcher process (big fleets) and in place (small ones).
for (const helper of [true, false]) {
  const where = helper ? 'launcher process' : 'in place';

  test(`a command runs with its arguments, cwd and environment; its output and exit code come back in order (${where})`, async () => {
    await useLauncherProcess(helper);
    const p = launch('/bin/sh', ['-c', 'printf "%s|%s|%s|%s" "$1" "$PWD" "$SY_X" "$PPID"; echo oops >&2; exit 3', 'sh', 'arg one'], {
      cwd: tmp,
      env: { ...process.env, SY_X: 'x-value' },
    });
    const r = await collect(p);
    const [said, parent] = [r.stdout.slice(0, r.stdout.lastIndexOf('|')), Number(r.stdout.slice(r.stdout.lastIndexOf('|') + 1))];
    assert.equal(said, `arg one|${tmp}|x-value`);
    assert.equal(parent === process.pid, !helper, helper ? 'started by the launcher process' : 'started by this process');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.code, 3);
    // As with a ChildProcess: exit and the end of output in either order, close after both.
    assert.deepEqual([...r.events].sort(), ['close', 'exit', 'stdout end']);
    assert.equal(r.events.at(-1), 'close');
  });

  test(`large output arrives whole (${where})`, async () => {
    await useLauncherProcess(helper);
    const r = await collect(launch('/bin/sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a'], { cwd: tmp, env: process.env }));
    assert.equal(r.stdout.length, 3_000_000);
    assert.equal(r.code, 0);
  });

  test(`a program that does not exist is an ENOENT error, then close (${where})`, async () => {
    await useLauncherProcess(helper);
    const r = await collect(launch('switchyard-no-such-program', [], { cwd: tmp, env: process.env }));
    assert.equal(r.error?.code, 'ENOENT');
    assert.ok(r.events.includes('error') && r.events.at(-1) === 'close');
  });

  test(`kill stops the process; killGroup stops everything a detached process started (${where})`, async () => {
    await useLauncherProcess(helper);
    const killed = launch('/bin/sh', ['-c', 'exec sleep 30'], { cwd: tmp, env: process.env });
    setTimeout(() => killed.kill('SIGKILL'), 50);
    assert.equal((await collect(killed)).signal, 'SIGKILL');

    // The shell starts a background sleep and prints its pid; the group signal must reach that sleep too.
    const group = launch('/bin/sh', ['-c', 'sleep 30 & echo $!; wait'], { cwd: tmp, env: process.env, detached: true });
    const ended = collect(group);
    const bgPid = await new Promise<number>(resolve => group.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    group.killGroup('SIGTERM');
    const r = await ended;
    assert.equal(r.signal, 'SIGTERM');
    // The shell's end is seen first: the sleep got the same signal but may not have been scheduled to die
    // yet (one loaded run saw it alive). A sleep the signal missed would still run for 30 s.
    await until(() => !running(bgPid), 'the background sleep went with its group');
  });
}

test('a flood of output while the host is busy is held back in its pipe, not in the launcher process, and arrives whole', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  await useLauncherProcess(true);
  const helper = launcherPid()!;
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${helper}/status`, 'utf8'))![1]) / 1024;
  const before = rssMb();
  const bytes = 200_000_000;
  const p = launch('/bin/sh', ['-c', `head -c ${bytes} /dev/zero`], { cwd: tmp, env: process.env });
  let got = 0;
  p.stdout.on('data', (b: Buffer) => (got += b.length));
  const closed = new Promise<number | null>(resolve => p.on('close', code => resolve(code)));
  // The host reads nothing for a second and a half (a long tick): the program writes as fast as it can.
  await new Promise(r => setTimeout(r, 50));
  for (const until = Date.now() + 1500; Date.now() < until;) { /* busy */ }
  const grown = rssMb() - before;
  assert.equal(await closed, 0);
  assert.equal(got, bytes, 'every byte arrived');
  // Without the pause, the launcher held all it read meanwhile: hundreds of MB.
  assert.ok(grown < 40, `the launcher process grew by ${grown.toFixed(0)} MB`);
});

test('a process started from the launcher finishes normally when the launcher is turned off meanwhile', async () => {
  await useLauncherProcess(true);
  const p = launch('/bin/sh', ['-c', 'sleep 0.2; echo finished'], { cwd: tmp, env: process.env });
  const helperPid = launcherPid();
  assert.ok(helperPid !== undefined && running(helperPid), 'the launcher process runs');
  await useLauncherProcess(false);
  const r = await collect(p);
  assert.equal(r.stdout, 'finished\n');
  assert.equal(r.code, 0);
  await until(() => !running(helperPid), 'the launcher process ends once its last process is done');
});

test('the launcher process reports its CPU and memory, which only grow', async () => {
  const before = launcherUsage();
  await useLauncherProcess(true);
  for (let i = 0; i < 5; i++) await collect(launch('/bin/true', [], { cwd: tmp, env: process.env }));
  const during = launcherUsage();
  assert.ok(during.cpuUs > before.cpuUs, `${during.cpuUs} > ${before.cpuUs}`);
  assert.ok(during.maxRssKb > 10_000, `a Node process has some memory (${during.maxRssKb} kB)`);
  await useLauncherProcess(false);
  assert.ok(launcherUsage().cpuUs >= during.cpuUs, 'an ended launcher\'s CPU still counts');
});

test('a launcher process that dies takes its running processes down with an error; the next launch starts in place while a new one starts', async () => {
  await useLauncherProcess(true);
  const p = launch('/bin/sh', ['-c', 'exec sleep 30'], { cwd: tmp, env: process.env, detached: true });
  const ended = collect(p);
  const helperPid = launcherPid();
  assert.ok(helperPid !== undefined);
  process.kill(helperPid, 'SIGKILL');
  const r = await ended;
  assert.equal(r.error?.code, 'ELAUNCHER');
  p.killGroup('SIGKILL');
  const next = await collect(launch('/bin/sh', ['-c', 'echo still here'], { cwd: tmp, env: process.env }));
  assert.equal(next.stdout, 'still here\n');
  await until(() => ![undefined, helperPid].includes(launcherPid()), 'a new launcher process is started');
  await useLauncherProcess(false);
});

test('the launcher process is wanted above 50 running sessions, or above SWITCHYARD_LAUNCHER_ABOVE', () => {
  assert.deepEqual([0, 50, 51].map(n => launcherWanted(n, {})), [false, false, true]);
  assert.deepEqual([0, 1].map(n => launcherWanted(n, { SWITCHYARD_LAUNCHER_ABOVE: '0' })), [false, true]);
  assert.equal(launcherWanted(51, { SWITCHYARD_LAUNCHER_ABOVE: 'many' }), true, 'a value that is not a count is ignored');
  assert.equal(launcherWanted(10, { SWITCHYARD_LAUNCHER_ABOVE: '-1' }), false);
});

test('a process that only used the launcher exits by itself when the command is done', async () => {
  const script = await buildHelper('launcherChild', tmp);
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [script], { cwd: tmp, timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(out.trim(), 'launched 0 from the launcher');
});

test('a launcher process let go while it starts leaves quietly', async () => {
  const script = await buildHelper('launcherRetireChild', tmp);
  // The launcher shares this child's stderr: whatever it says on its way out is caught here.
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, [script], { cwd: tmp, timeout: 15_000 }, (err, out, errOut) => (err ? reject(err) : resolve({ stdout: out, stderr: errOut })));
  });
  assert.equal(stdout.trim(), 'done');
  assert.equal(stderr, '');
});

/** The launcher process among this process's children, as /proc shows them. */
const launcherPid = (): number | undefined => childrenNamed(process.pid, HELPER_NAME)[0];

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise(r => setTimeout(r, 50));
  assert.ok(check(), what);
}

/** Whether a process is still running (a zombie waiting to be reaped is not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
