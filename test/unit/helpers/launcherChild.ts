// Child process for launcher tests: runs one command from the launcher process, prints what it said, and
// then has nothing left to do: it must exit by itself (the idle launcher process keeps nobody alive).
import { launch, useLauncherProcess } from '../../../src/host/util/launcher';

void useLauncherProcess(true).then(() => {
  const child = launch('/bin/sh', ['-c', 'echo launched; echo "$PPID"'], { cwd: process.cwd(), env: process.env });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.on('close', code => {
    const [said, parent] = out.trim().split('\n');
    // Started by the launcher process, not by this one.
    process.stdout.write(`${said} ${code} ${Number(parent) === process.pid ? 'in place' : 'from the launcher'}\n`);
  });
});
