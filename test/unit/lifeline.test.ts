// A process group that ends with its host: a host killed outright (kill -9) leaves no agent or command
// running in a worktree, whether it started the group itself or through the launcher process.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLocalRunner, localRunner } from '../../src/host/agent/tools/localRunner';
import { useLauncherProcess } from '../../src/host/util/launcher';
import { groupAlive } from '../../src/host/util/lifeline';
import { isProcessAlive } from '../../src/host/util/fileLock';
import { helperForTests, runHelper } from './helpers/childProcess';

const lifelineChild = helperForTests('lifelineChild');

/** Zombies count as gone: the killed host's children are reaped by whoever adopts them, in its own time. */
const alive = (pid: number) => isProcessAlive({ pid, host: os.hostname(), start: null });

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok(); await new Promise(r => setTimeout(r, 20))) if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
}

for (const fromLauncher of [false, true]) {
  test(`a process group ends with its host when the host is killed outright (started ${fromLauncher ? 'from the launcher process' : 'in place'})`, { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(path.join(lifelineChild.dir(), 'group-'));
    const host = runHelper(lifelineChild.script(), { fromLauncher, dir });
    const [pid, parent, background] = (await host.waitForLine(l => /^\d+ \d+ \d+$/.test(l))).split(' ').map(Number) as [number, number, number];
    assert.equal(parent === host.proc.pid, !fromLauncher, `started ${fromLauncher ? 'from the launcher process' : 'by the host itself'}`);
    host.proc.kill('SIGKILL');
    await host.exited;
    // SIGTERM first, as a stop does, then SIGKILL after the grace period (1 s here): the whole group.
    await until(`the group's leader (pid ${pid}) to end`, () => !alive(pid));
    await until(`the process it left in the background (pid ${background}) to end`, () => !alive(background));
  });
}

test('while its host lives, a command in a group with a lifeline behaves as before: its output, its exit status, no input', async () => {
  const dir = mkdtempSync(path.join(lifelineChild.dir(), 'plain-'));
  const r = await localRunner('read line; echo "read $?"; echo out; echo err >&2; exit 3', { cwd: dir, timeoutMs: 10_000, outputCapBytes: 10_000, signal: new AbortController().signal });
  assert.equal(r.exitCode, 3);
  assert.equal(r.output, 'read 1\nout\nerr\n');
});

for (const fromLauncher of [false, true]) {
  test(`a command ends with its whole group: the watcher leaves at once, and what the command left behind is waited for (started ${fromLauncher ? 'from the launcher process' : 'in place'})`, { skip: process.platform !== 'linux' && 'process groups' }, async t => {
    await useLauncherProcess(fromLauncher);
    t.after(() => useLauncherProcess(false));
    const dir = mkdtempSync(path.join(lifelineChild.dir(), 'group-end-'));
    const run = (command: string) => {
      let group: number | undefined;
      // A grace far longer than the leftover's second: it ends of itself, told to, never killed.
      const done = createLocalRunner({ killGraceMs: 20_000 })(command, { cwd: dir, timeoutMs: 10_000, outputCapBytes: 10_000, signal: new AbortController().signal, onStarted: pid => (group = pid) });
      return done.then(r => ({ ...r, group: group! }));
    };
    const plain = await run('echo hi');
    assert.equal(plain.output, 'hi\n');
    assert.equal(groupAlive(plain.group), false, 'nothing of the group is left, the watcher included');
    // A leftover holding none of the pipes, slow to go once told to: the result waits for it.
    const t0 = Date.now();
    // The command ends only once the leftover's trap is set: told to go before that, it would just die.
    const slow = await run(`(trap 'sleep 1; echo ended > ended.txt; exit 0' TERM; : > trapped; while :; do sleep 0.05; done) >/dev/null 2>&1 & while [ ! -e trapped ]; do sleep 0.01; done; echo "left $!"`);
    const left = Number(/left (\d+)/.exec(slow.output)![1]);
    assert.equal(alive(left), false, `the leftover (pid ${left}) had ended when the command's result came`);
    assert.equal(groupAlive(slow.group), false);
    assert.equal(existsSync(path.join(dir, 'ended.txt')), true, 'it ended of itself, when told to: not killed');
    assert.ok(Date.now() - t0 < 15_000, 'as soon as it ended, not at the end of the grace period');
  });
}
