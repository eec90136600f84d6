// Child process for launcher tests: runs one command from the launcher thread, prints what it said, and
// then has nothing left to do: it must exit by itself (the idle launcher thread keeps nobody alive).
import { launch, useLauncherThread } from '../../../src/host/util/launcher';

useLauncherThread(true);
const child = launch('/bin/sh', ['-c', 'echo launched'], { cwd: process.cwd(), env: process.env });
let out = '';
child.stdout.on('data', (b: Buffer) => (out += b.toString()));
child.on('close', code => process.stdout.write(`${out.trim()} ${code}\n`));
