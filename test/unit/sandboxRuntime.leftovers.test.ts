// A sandbox start that failed or was cancelled half-way (the library's own Ctrl-C handler resets it) can
// leave its socat bridges running, unrecorded, and they would keep the process from exiting: disposing
// the runtime ends this process's own children of that name, and no one else's.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { endChildrenNamed } from '../../src/host/sandbox/runtime';

test('only this process\'s own children of the name, with the argument, are ended', { skip: process.platform !== 'linux' }, async () => {
  const mine = spawn('sleep', ['30'], { stdio: 'ignore' });
  // Of the same name, but not what is looked for.
  const other = spawn('sleep', ['31'], { stdio: 'ignore' });
  // A grandchild of the same name (a child of a shell) is not ours to end.
  const shell = spawn('sh', ['-c', 'sleep 5 & wait'], { stdio: 'ignore' });
  try {
    await new Promise(r => setTimeout(r, 100));
    const exited = once(mine, 'exit');
    assert.equal(endChildrenNamed('sleep', '30'), 1);
    const [, signal] = await exited;
    assert.equal(signal, 'SIGTERM');
    assert.equal(shell.exitCode, null, 'the shell, and its own sleep, run on');
    assert.equal(other.exitCode, null, 'a child of the name without the argument runs on');
  } finally {
    for (const c of [mine, other, shell]) c.kill('SIGKILL');
  }
});
