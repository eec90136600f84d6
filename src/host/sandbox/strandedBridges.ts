// The sandbox library bridges each sandbox's network to its proxies with `socat` processes it starts
// itself. A process killed outright (SIGKILL, a crash) never stops them: they outlive it, bridging to a
// port nobody listens on any more. The next start here ends them. A bridge is ended only when it is
// one of the library's (its socket in the temp folder, named as the library names it), runs as this
// user, and the proxy it leads to is gone: a live sandbox's bridge, in this process or another, always
// has its proxy listening.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface StrandedBridge {
  pid: number;
  socket: string;
  port: number;
}

const BRIDGE_SOCKET = /^claude-(?:http|socks)-[0-9a-f]+\.sock$/;

/** Ends the stranded bridges and removes their sockets; returns what was ended. Linux; elsewhere none. */
export function endStrandedBridges(): StrandedBridge[] {
  const stranded = findStrandedBridges();
  for (const b of stranded) {
    try {
      process.kill(b.pid, 'SIGTERM');
    } catch {
      continue; // gone meanwhile
    }
    rmSync(b.socket, { force: true });
  }
  return stranded;
}

export function findStrandedBridges(): StrandedBridge[] {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return [];
  const uid = process.getuid();
  const bridges: StrandedBridge[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue;
    const b = bridgeOf(pid, uid);
    if (b) bridges.push(b);
  }
  if (!bridges.length) return [];
  const listening = listeningPorts();
  return bridges.filter(b => !listening.has(b.port));
}

function bridgeOf(pid: string, uid: number): StrandedBridge | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'socat') return undefined;
    if (statSync(`/proc/${pid}`).uid !== uid) return undefined;
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const listen = args.find(a => a.startsWith('UNIX-LISTEN:'));
    const target = args.find(a => a.startsWith('TCP:localhost:'));
    if (!listen || !target) return undefined;
    const socket = listen.slice('UNIX-LISTEN:'.length).split(',')[0];
    if (path.dirname(socket) !== tmpdir() || !BRIDGE_SOCKET.test(path.basename(socket))) return undefined;
    const port = Number(/^TCP:localhost:(\d+)/.exec(target)?.[1]);
    return Number.isInteger(port) && port > 0 ? { pid: Number(pid), socket, port } : undefined;
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/** The TCP ports anything on this machine listens on (IPv4 and IPv6). */
export function listeningPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st …; st 0A is LISTEN.
      if (fields[3] !== '0A') continue;
      const local = fields[1];
      ports.add(parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return ports;
}
