// The gateway's own HTTP client for the model server: what it must keep from fetch (a cut body is an
// error, cancelling ends the request, a slow reader holds the socket back, an abort is an abort) and what
// it adds (a pooled connection the server dropped is retried once on a new one, never after an answer).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { bodyStream, readText, UpstreamClient } from '../../src/host/gateway/upstreamClient';
import { refusedPort } from './helpers/refusedPort';

async function listen(t: TestContext, server: http.Server | net.Server): Promise<string> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>(resolve => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(t: TestContext): UpstreamClient {
  const c = new UpstreamClient();
  t.after(() => c.close());
  return c;
}

function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => (check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(poll, 5));
    poll();
  });
}

const observe = () => {
  const seen = { chunks: 0, bytes: 0, settled: [] as boolean[] };
  return { seen, observer: { chunk: (v: Uint8Array) => { seen.chunks++; seen.bytes += v.length; }, settle: (whole: boolean) => void seen.settled.push(whole) } };
};

test('a body the server cuts short errors the stream and settles once, not whole', async t => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"type":"response.created"}\n\n', () => setTimeout(() => res.destroy(), 20));
  });
  const url = await listen(t, server);
  const reply = await client(t).request('POST', `${url}/responses`, { 'content-type': 'application/json' }, '{}');
  assert.equal(reply.status, 200);
  assert.equal(reply.headers.get('content-type'), 'text/event-stream');
  const { seen, observer } = observe();
  const reader = bodyStream(reply.body, observer).getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /response\.created/);
  await assert.rejects(reader.read(), /closed the connection before the response ended|aborted/);
  assert.deepEqual(seen.settled, [false]);
});

test('a whole body reaches the reader chunk by chunk and settles whole', async t => {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_1' });
    let i = 0;
    const next = () => (i < 5 ? res.write(`data: ${i++}\n\n`, () => setTimeout(next, 2)) : res.end());
    next();
  });
  const url = await listen(t, server);
  const reply = await client(t).request('POST', url, {}, 'x'.repeat(100_000));
  assert.equal(reply.headers.get('x-request-id'), 'req_1');
  const { seen, observer } = observe();
  const text = await new Response(bodyStream(reply.body, observer)).text();
  assert.equal(text, [0, 1, 2, 3, 4].map(i => `data: ${i}\n\n`).join(''));
  assert.equal(seen.bytes, text.length, 'every byte was seen before the reader got it');
  assert.deepEqual(seen.settled, [true]);
});

test('events that arrive together reach the reader together, not one chunk per event', async t => {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < 200; i++) res.write(`data: {"type":"response.output_text.delta","delta":"word${i} "}\n\n`);
    res.end();
  });
  const url = await listen(t, server);
  const reply = await client(t).request('POST', url, {}, '{}');
  const { seen, observer } = observe();
  const text = await new Response(bodyStream(reply.body, observer)).text();
  assert.equal(text.split('\n\n').length - 1, 200, 'every event arrived');
  // Node hands a chunked body over one transfer chunk (here, one event) at a time; each chunk costs the
  // meter's scan, a socket write in the relay and a decode in the SDK.
  assert.ok(seen.chunks <= 20, `${seen.chunks} chunks for 200 events written at once`);
});

test('cancelling the stream ends the request at the server', async t => {
  let serverSawClose = false;
  const server = http.createServer((_req, res) => {
    res.writeHead(200);
    res.write('data: 1\n\n');
    res.on('close', () => (serverSawClose = true));
  });
  const url = await listen(t, server);
  const reply = await client(t).request('POST', url, {}, '{}');
  const { seen, observer } = observe();
  const reader = bodyStream(reply.body, observer).getReader();
  await reader.read();
  await reader.cancel(new Error('the agent went away'));
  await until(() => serverSawClose);
  assert.deepEqual(seen.settled, [false]);
});

test('a reader that falls behind holds the server back instead of buffering the body', async t => {
  const chunk = 'x'.repeat(64 * 1024);
  let written = 0;
  let blocked = false;
  const server = http.createServer((_req, res) => {
    res.writeHead(200);
    const pump = () => {
      while (written < 2_000) {
        written++;
        if (!res.write(chunk)) {
          blocked = true;
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  });
  const url = await listen(t, server);
  const reply = await client(t).request('POST', url, {}, '{}');
  const { seen, observer } = observe();
  const stream = bodyStream(reply.body, observer);
  await until(() => blocked && reply.body.isPaused());
  await new Promise(resolve => setTimeout(resolve, 100));
  assert.ok(seen.chunks < 100, `${seen.chunks} chunks taken in while nobody read (the server wrote ${written} of 2000)`);
  assert.ok(written < 2_000, 'the server was held back');
  await stream.cancel();
});

test('a pooled connection the server dropped is retried once on a new one; a new connection is not', async t => {
  let connections = 0;
  const server = net.createServer(socket => {
    const n = ++connections;
    let requests = 0;
    socket.on('data', data => {
      if (!data.toString().startsWith('POST')) return;
      requests++;
      // The first connection answers once, then drops the next request as a server closing an idle
      // connection does; the third connection drops its first request.
      if ((n === 1 && requests === 2) || n === 3) socket.destroy();
      else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok`);
    });
  });
  const url = await listen(t, server);
  const c = client(t);
  assert.equal(await readText((await c.request('POST', url, {}, 'one')).body), 'ok');
  assert.equal(await readText((await c.request('POST', url, {}, 'two')).body), 'ok', 'retried on a new connection');
  assert.equal(connections, 2);
  // The second connection is in the pool now; make the next fresh one fail by using a new client.
  const fresh = client(t);
  await assert.rejects(fresh.request('POST', url, {}, 'three'), /socket hang up|ECONNRESET/);
  assert.equal(connections, 3, 'a request on a new connection that fails is not sent again');
});

test('a pooled connection dropped after the answer began is not sent again', async t => {
  let posts = 0;
  const server = net.createServer(socket => {
    let requests = 0;
    socket.on('data', data => {
      if (!data.toString().startsWith('POST')) return;
      posts++;
      if (++requests === 1) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok`);
      else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: keep-alive\r\n\r\npart`, () => socket.destroy());
    });
  });
  const url = await listen(t, server);
  const c = client(t);
  assert.equal(await readText((await c.request('POST', url, {}, 'one')).body), 'ok');
  const reply = await c.request('POST', url, {}, 'two');
  await assert.rejects(readText(reply.body), /closed the connection before the response ended|aborted/);
  await new Promise(resolve => setTimeout(resolve, 50));
  assert.equal(posts, 2, 'the answered request was not sent again');
});

test('an abort, a refused connection and an unknown protocol reject with what happened', async t => {
  const server = http.createServer(() => undefined);
  const url = await listen(t, server);
  const c = client(t);
  const abort = new AbortController();
  const pending = c.request('POST', url, {}, '{}', abort.signal);
  setTimeout(() => abort.abort(), 20);
  await assert.rejects(pending, { name: 'AbortError' });

  await assert.rejects(c.request('GET', `http://127.0.0.1:${await refusedPort()}/models`, {}), /ECONNREFUSED/);
  await assert.rejects(c.request('GET', 'ftp://127.0.0.1/models', {}), /ftp: is not a protocol/);
  // OpenSSL's text ends in a newline; the message goes into one-line reasons and logs.
  const plain = url.replace('http:', 'https:');
  await assert.rejects(c.request('GET', `${plain}/models`, {}), (err: Error) => /EPROTO/.test(err.message) && !/\n/.test(err.message));
});

test('closing the client ends its pooled connections', async t => {
  let open = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    res.end('ok');
  });
  server.on('connection', socket => {
    open++;
    socket.on('close', () => open--);
  });
  const url = await listen(t, server);
  const c = new UpstreamClient();
  assert.equal(await readText((await c.request('POST', url, {}, '{}')).body), 'ok');
  assert.equal(open, 1, 'the connection stays open for the next request');
  c.close();
  await until(() => open === 0);
});
