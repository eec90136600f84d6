import net from 'node:net';

/**
 * A port on 127.0.0.1 that refuses connections. It is taken below the kernel's
 * ephemeral range, so no server another test starts on port 0 can be given it
 * between this check and its use (a port taken and given back can be).
 */
export async function refusedPort(): Promise<number> {
  for (const port of [1, 9, 7, 13, 19, 37, 79]) {
    if (await refuses(port)) return port;
  }
  throw new Error('no low port on 127.0.0.1 refuses connections here');
}

function refuses(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect(port, '127.0.0.1');
    // A port that neither answers nor refuses (a firewall dropping packets) is not the one wanted.
    socket.setTimeout(2_000, () => { socket.destroy(); resolve(false); });
    socket.once('connect', () => { socket.destroy(); resolve(false); });
    socket.once('error', err => resolve((err as NodeJS.ErrnoException).code === 'ECONNREFUSED'));
  });
}
