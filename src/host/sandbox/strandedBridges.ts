// The sandbox library bridges each sandbox's network to its proxies with `socat` processes it starts
// itself. A process killed outright (SIGKILL, a crash) never stops them: they outlive it, bridging to a
// port nobody listens on any more. The next start here ends them. A bridge is ended only when all of these
// hold:
// - it is one of the library's (its socket in the temp folder, named as the library names it), as this user;
// - it has outlived the process that started it (its parent is now init, or systemd's user manager);
// - the proxy it leads to is gone: nothing listens on that port in the bridge's own network namespace
//   (a live sandbox's bridge, in this process or another, has its proxy listening there).
// Sockets the library left in the temp folder that nothing listens on any more are removed too.
import { lstatSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface StrandedBridge {
  pid: number;
  socket: string;
  port: number;
}

const BRIDGE_SOCKET = /^claude-(?:http|socks)-[0-9a-f]+\.sock$/;

/** Ends the stranded bridges and removes their sockets, and sockets left by bridges gone; returns what was ended. Linux; elsewhere none. */
export function endStrandedBridges(): StrandedBridge[] {
  const { stranded, served } = lookAtBridges();
  for (const b of stranded) {
    try {
      process.kill(b.pid, 'SIGTERM');
    } catch {
      continue; // gone meanwhile
    }
    rmSync(b.socket, { force: true });
  }
  removeUnservedSockets(served);
  return stranded;
}

export function findStrandedBridges(): StrandedBridge[] {
  return lookAtBridges().stranded;
}

/** `served`: the names of sockets some process listens on, or says it listens on (any UNIX-LISTEN:), as far as can be seen. */
function lookAtBridges(): { stranded: StrandedBridge[]; served: Set<string> | undefined } {
  const served = listeningUnixSockets();
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return { stranded: [], served };
  const uid = process.getuid();
  const stranded: StrandedBridge[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return { stranded, served };
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue;
    for (const name of unixListenNamesOf(pid)) served?.add(name);
    const b = bridgeOf(pid);
    if (!b) continue;
    if (b.uid === uid && b.orphaned && listeningPorts(`/proc/${pid}/net`)?.has(b.port) === false) stranded.push({ pid: b.pid, socket: b.socket, port: b.port });
  }
  return { stranded, served };
}

function bridgeOf(pid: string): (StrandedBridge & { uid: number; orphaned: boolean }) | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'socat') return undefined;
    const uid = statSync(`/proc/${pid}`).uid;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const listen = args.find(a => a.startsWith('UNIX-LISTEN:'));
    const target = args.find(a => a.startsWith('TCP:localhost:'));
    if (!listen || !target) return undefined;
    const socket = listen.slice('UNIX-LISTEN:'.length).split(',')[0];
    if (path.dirname(socket) !== tmpdir() || !BRIDGE_SOCKET.test(path.basename(socket))) return undefined;
    const port = Number(/^TCP:localhost:(\d+)/.exec(target)?.[1]);
    if (!(Number.isInteger(port) && port > 0)) return undefined;
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last one.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
    return { pid: Number(pid), socket, port, uid, orphaned: ppid === 1 || commOf(ppid) === 'systemd' };
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return undefined;
  }
}

/** How long a socket no socat serves is left alone: one being made is named by its socat first, but not by much. */
const UNSERVED_SOCKET_MS = 60_000;

/** The names of the sockets a process's arguments say it listens on (`UNIX-LISTEN:<path>[,options]`), whatever it is. */
function unixListenNamesOf(pid: string): string[] {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!args.includes('UNIX-LISTEN:')) return [];
    return args.split('\0').filter(a => a.startsWith('UNIX-LISTEN:')).map(a => path.basename(a.slice('UNIX-LISTEN:'.length).split(',')[0]!));
  } catch {
    return [];
  }
}

/** The names of the Unix sockets listened on in this network namespace; undefined when that cannot be read. */
function listeningUnixSockets(): Set<string> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/unix', 'latin1');
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path; flag 00010000 is a listening socket.
    const fields = line.trim().split(/\s+/);
    if (fields.length >= 8 && (parseInt(fields[3]!, 16) & 0x10000) !== 0) names.add(path.basename(fields[7]!));
  }
  return names;
}

/**
 * The library's sockets in the temp folder, this user's, that nothing listens on or says it does (their bridge
 * ended without removing them). Nothing is removed where the sockets listened on cannot be read.
 */
function removeUnservedSockets(served: ReadonlySet<string> | undefined): void {
  if (!served) return;
  const uid = process.getuid?.();
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    if (!BRIDGE_SOCKET.test(name)) continue;
    if (served.has(name)) continue;
    const file = path.join(tmpdir(), name);
    try {
      const st = lstatSync(file);
      if (st.isSocket() && st.uid === uid && Date.now() - st.mtimeMs > UNSERVED_SOCKET_MS) rmSync(file, { force: true });
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * The TCP ports listened on in the network namespace of `netDir` (`/proc/<pid>/net`: the process's own;
 * `/proc/net` is the reader's). Undefined when it cannot be read: nothing is judged from that.
 */
export function listeningPorts(netDir = '/proc/net'): Set<number> | undefined {
  const ports = new Set<number>();
  let read = false;
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(path.join(netDir, file), 'latin1');
      read = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st …; st 0A is LISTEN.
      if (fields[3] !== '0A') continue;
      const local = fields[1]!;
      ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return read ? ports : undefined;
}
