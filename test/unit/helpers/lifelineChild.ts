// Child process for lifeline tests: a host that starts one process group that ends with it (from the
// launcher process when asked), prints the group leader's pid and parent and the pid of a process it started, and waits to be killed.
import { useLauncherProcess } from '../../../src/host/util/launcher';
import { launchShellGroup } from '../../../src/host/util/lifeline';

const { fromLauncher, dir } = JSON.parse(process.argv[2]!) as { fromLauncher: boolean; dir: string };
setInterval(() => undefined, 60_000);
void useLauncherProcess(fromLauncher).then(() => {
  // The leader, its parent, and a process it left in the background.
  const script = 'sleep 60 & echo "$$ $PPID $!"; while :; do sleep 0.05; done';
  const child = launchShellGroup(script, { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, killGraceMs: 1000 });
  child.stdout.on('data', (b: Buffer) => process.stdout.write(b));
});
