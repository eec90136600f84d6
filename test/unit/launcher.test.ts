// Child processes started from the launcher thread behave as the host needs: output, exit codes, a
// missing program, process groups, and no launcher left keeping a finished process alive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launch, useLauncherThread, type LaunchedProcess } from '../../src/host/util/launcher';
import { buildHelper } from './helpers/childProcess';

let tmp: string;
before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'sy-launcher-'))));
after(() => {
  useLauncherThread(false);
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

// Each behaviour, with processes started from the launcher thread (big fleets) and in place (small ones).
for (const thread of [true, false]) {
  const where = thread ? 'launcher thread' : 'in place';

  test(`a command runs with its arguments, cwd and environment; its output and exit code come back in order (${where})`, async () => {
    useLauncherThread(thread);
    const p = launch('/bin/sh', ['-c', 'printf "%s|%s|%s" "$1" "$PWD" "$SY_X"; echo oops >&2; exit 3', 'sh', 'arg one'], {
      cwd: tmp,
      env: { ...process.env, SY_X: 'x-value' },
    });
    const r = await collect(p);
    assert.equal(r.stdout, `arg one|${tmp}|x-value`);
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.code, 3);
    // As with a ChildProcess: exit and the end of output in either order, close after both.
    assert.deepEqual([...r.events].sort(), ['close', 'exit', 'stdout end']);
    assert.equal(r.events.at(-1), 'close');
  });

  test(`large output arrives whole (${where})`, async () => {
    useLauncherThread(thread);
    const r = await collect(launch('/bin/sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" a'], { cwd: tmp, env: process.env }));
    assert.equal(r.stdout.length, 3_000_000);
    assert.equal(r.code, 0);
  });

  test(`a program that does not exist is an ENOENT error, then close (${where})`, async () => {
    useLauncherThread(thread);
    const r = await collect(launch('switchyard-no-such-program', [], { cwd: tmp, env: process.env }));
    assert.equal(r.error?.code, 'ENOENT');
    assert.ok(r.events.includes('error') && r.events.at(-1) === 'close');
  });

  test(`kill stops the process; killGroup stops everything a detached process started (${where})`, async () => {
    useLauncherThread(thread);
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
    assert.ok(!running(bgPid), 'the background sleep went with its group');
  });
}

test('a process started from the thread finishes normally when the thread is turned off meanwhile', async () => {
  useLauncherThread(true);
  const p = launch('/bin/sh', ['-c', 'sleep 0.2; echo finished'], { cwd: tmp, env: process.env });
  useLauncherThread(false);
  const r = await collect(p);
  assert.equal(r.stdout, 'finished\n');
  assert.equal(r.code, 0);
});

test('a process that only used the launcher exits by itself when the command is done', async () => {
  const script = await buildHelper('launcherChild', tmp);
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [script], { cwd: tmp, timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
  assert.equal(out.trim(), 'launched 0');
});

/** Whether a process is still running (a zombie waiting to be reaped is not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
