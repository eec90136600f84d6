// A run killed outright (SIGKILL) cannot stop the sandbox's socat bridges: they outlive it, bridging to
// a proxy port nobody listens on. The next sandbox start ends them, and only them: a live sandbox's
// bridge has its proxy listening, and a socat that is not one of the library's is not ours to end.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { sandboxAvailability } from '../../src/host/sandbox/availability';
import { disposeSandboxRuntime } from '../../src/host/sandbox/runtime';
import { endStrandedBridges, findStrandedBridges, listeningPorts } from '../../src/host/sandbox/strandedBridges';
import { runCli } from './helpers/cli';
import { makeRepo, tempDir, until, upstream } from './helpers/engineKit';

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = process.platform !== 'linux' || !hasSocat ? 'needs Linux and socat' : false;

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise(r => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise(r => server.close(r));
  return port;
}

/** A socat started by a shell that then exits, so it lives on without its parent, as a killed run's does. */
function orphanSocat(t: TestContext, socket: string, port: number): number {
  const pid = Number(execFileSync('sh', ['-c', `socat UNIX-LISTEN:${socket},fork,reuseaddr TCP:localhost:${port},keepalive </dev/null >/dev/null 2>&1 & echo $!`], { encoding: 'utf8' }).trim());
  ending(t, pid, socket);
  return pid;
}

/** Killed and its socket removed after the test, whatever it did. */
function ending(t: TestContext, pid: number, socket: string): void {
  t.after(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended, as it should be
    }
    rmSync(socket, { force: true });
  });
}

const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

// Finding out whether the sandbox works here starts it in this process.
after(disposeSandboxRuntime);

const hex = () => Math.random().toString(16).slice(2, 14).padEnd(12, '0');

test('only the library\'s bridges whose process is gone and whose proxy is gone are ended, and their sockets removed', { skip }, async t => {
  const live = net.createServer().listen(0, '127.0.0.1');
  await new Promise(r => live.once('listening', r));
  t.after(() => live.close());
  const livePort = (live.address() as net.AddressInfo).port;
  const deadPort = await freePort();
  assert.ok(listeningPorts()!.has(livePort) && !listeningPorts()!.has(deadPort));

  const strandedSocket = path.join(tmpdir(), `claude-http-${hex()}.sock`);
  const stranded = orphanSocat(t, strandedSocket, deadPort);
  const liveBridge = orphanSocat(t, path.join(tmpdir(), `claude-http-${hex()}.sock`), livePort);
  // Someone else's socat to a dead port, with a socket the library would not name.
  const foreignDir = tempDir(t);
  const foreign = orphanSocat(t, path.join(foreignDir, `claude-http-${hex()}.sock`), deadPort);
  // A bridge whose process still runs (this one), its proxy gone a moment (restarting): not stranded.
  const ownedSocket = path.join(tmpdir(), `claude-http-${hex()}.sock`);
  const owned = spawn('socat', [`UNIX-LISTEN:${ownedSocket},fork,reuseaddr`, `TCP:localhost:${deadPort}`], { stdio: 'ignore' });
  ending(t, owned.pid!, ownedSocket);
  // A socket whose socat ended long ago without removing it.
  const leftSocket = path.join(tmpdir(), `claude-socks-${hex()}.sock`);
  const leaver = spawn('socat', [`UNIX-LISTEN:${leftSocket}`, `TCP:localhost:${deadPort}`], { stdio: 'ignore' });
  ending(t, leaver.pid!, leftSocket);
  // A socket in use a long while by a socat spelt otherwise than ours (another version of the library): kept.
  const otherSocket = path.join(tmpdir(), `claude-http-${hex()}.sock`);
  const other = spawn('socat', [`UNIX-LISTEN:${otherSocket},fork`, `TCP:127.0.0.1:${livePort}`], { stdio: 'ignore' });
  ending(t, other.pid!, otherSocket);
  await until('the bridges listen', () => [strandedSocket, ownedSocket, leftSocket, otherSocket].every(f => existsSync(f)));
  leaver.kill('SIGKILL');
  await once(leaver, 'exit');
  const longAgo = new Date(Date.now() - 10 * 60_000);
  utimesSync(leftSocket, longAgo, longAgo);
  utimesSync(otherSocket, longAgo, longAgo);

  const found = findStrandedBridges().map(b => b.pid);
  assert.ok(found.includes(stranded), 'the bridge of a process gone, to a gone proxy, is stranded');
  assert.ok(!found.includes(liveBridge) && !found.includes(foreign) && !found.includes(owned.pid!));

  const ended = endStrandedBridges();
  assert.ok(ended.some(b => b.pid === stranded));
  await until('the stranded bridge ends', () => !alive(stranded));
  assert.equal(existsSync(strandedSocket), false, 'its socket is removed');
  assert.equal(existsSync(leftSocket), false, 'a socket no socat serves is removed');
  assert.ok(alive(liveBridge), 'a bridge whose proxy listens runs on');
  assert.ok(alive(foreign), 'a socat that is not the library\'s runs on');
  assert.ok(alive(owned.pid!) && existsSync(ownedSocket), 'a bridge whose process runs on is left, with its socket');
  assert.ok(existsSync(otherSocket), 'a socket something listens on is kept, however old');
});

/** The socat bridges the process `pid` started itself. */
function bridgesOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'socat' && ppid === pid) out.push(Number(name));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

test('a run killed with SIGKILL leaves its bridges; the next run that starts the sandbox ends them', { skip, timeout: 90_000 }, async t => {
  const availability = await sandboxAvailability();
  if (!availability.ok) return t.skip(`the OS sandbox is unavailable here: ${availability.reason}`);
  const up = await upstream(t);
  const root = tempDir(t);
  const repo = makeRepo(root);
  const env = { SWITCHYARD_HOME: path.join(root, 'home'), OPENAI_BASE_URL: up.url, OPENAI_API_KEY: 'sk-x' };
  const running = runCli(['run', '--repo', repo, '--task', 'wait', '--agent', 'command', '--command', 'while :; do sleep 0.05; done', '--json', '--quiet'], env);
  t.after(() => running.kill('SIGKILL'));
  let bridges: number[] = [];
  await until('the killed run\'s sandbox bridges its network', () => (bridges = bridgesOf(running.pid!)).length > 0, 30_000);
  running.kill('SIGKILL');
  await running;
  t.after(() => {
    for (const pid of bridges) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended, as it should be
      }
    }
  });
  await new Promise(r => setTimeout(r, 200));
  assert.ok(bridges.every(alive), 'the bridges outlive the run killed outright');

  const next = await runCli(['run', '--repo', repo, '--task', 'once', '--agent', 'command', '--command', 'true', '--json', '--quiet'], env);
  assert.equal(next.code, 0, next.stderr);
  await until('the stranded bridges end', () => !bridges.some(alive));
});
