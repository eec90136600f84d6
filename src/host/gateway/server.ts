// The gateway's HTTP face for external agents. Binds 127.0.0.1 only: nothing off this machine can reach
// it, and a session token is still required for every request.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toHeaders } from './upstreamClient';

export type GatewayHandler = (method: string, path: string, headers: Headers, body: string, signal: AbortSignal) => Promise<Response>;

export interface GatewayServer {
  port: number;
  close(): Promise<void>;
}

export const GATEWAY_HOST = '127.0.0.1';

export function startGatewayServer(handler: GatewayHandler, port = 0): Promise<GatewayServer> {
  const server = http.createServer((req, res) => void serve(handler, req, res));
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, GATEWAY_HOST, () => {
      const addr = server.address() as AddressInfo;
      resolve({
        port: addr.port,
        close: () => new Promise(r => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}

async function serve(handler: GatewayHandler, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = toHeaders(req.headers);
    const url = new URL(req.url ?? '/', 'http://gateway');
    const response = await handler(req.method ?? 'GET', url.pathname, headers, Buffer.concat(chunks).toString('utf8'), abort.signal);
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => (out[k] = v));
    res.writeHead(response.status, out);
    if (!response.body) {
      res.end();
      return;
    }
    await relay(response.body, res);
  } catch (err) {
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `Switchyard gateway: ${(err as Error).message}`, type: 'server_error', code: 'gateway_error' } }));
    } else {
      res.destroy();
    }
  }
}

/**
 * Event by event: each upstream chunk is written as it arrives, never buffered, with the socket's
 * backpressure respected. A plain read loop: a Node stream adapter (Readable.fromWeb + pipe) costs more
 * CPU per event than the rest of the gateway. When the agent goes away the body is cancelled, which
 * meters what was streamed and ends the upstream request.
 */
async function relay(body: ReadableStream<Uint8Array>, res: http.ServerResponse): Promise<void> {
  const reader = body.getReader();
  const onClose = () => {
    if (!res.writableFinished) reader.cancel(new Error('the agent closed the connection')).catch(() => undefined);
  };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drainedOrClosed(res);
    }
    if (!res.destroyed) res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', onClose);
  }
}

function drainedOrClosed(res: http.ServerResponse): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
