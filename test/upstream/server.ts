// The project's local OpenAI-compatible server for tests and benchmarks: it plays scripted model turns
// over the real wire protocol (Responses and Chat Completions, streaming or not), counts tokens and
// cached tokens by the provider's rules, and injects the faults a real upstream shows.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdmin, sendJson, type AdminTarget } from './admin';
import { FaultBook } from './faults';
import { serveChat, serveResponses, type TurnEnv } from './modelTurn';
import { PromptCache } from './promptCache';
import { DEFAULT_RATE_LIMIT, RateLimiter } from './rateLimit';
import { ResponseStore } from './responsesRequest';
import type { Fault, RecordedRequest, Script, TestUpstream, UpstreamOptions } from './types';
import { errorBody, isRecord, maskKey, notFound, UpstreamHttpError, type JsonObject } from './wire';

export type * from './types';

const DEFAULT_CACHE_TTL_MS = 10 * 60_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MODELS = ['gpt-5.5', 'gpt-5.4', 'gpt-5.2', 'gpt-5.1', 'gpt-5.1-codex', 'gpt-5', 'gpt-5-codex', 'gpt-5-mini', 'gpt-4.1'];

export async function startTestUpstream(opts: UpstreamOptions = {}): Promise<TestUpstream> {
  const upstream = new UpstreamServer(opts);
  await upstream.listen(opts.port ?? 0);
  return upstream;
}

class UpstreamServer implements TestUpstream, AdminTarget {
  url = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  private opts: UpstreamOptions;
  private readonly scripts = new Map<string, Script>();
  private readonly env: TurnEnv;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();
  private closed?: Promise<void>;
  private count = 0;
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(opts: UpstreamOptions) {
    this.opts = { ...opts };
    for (const [name, script] of Object.entries(opts.scripts ?? {})) this.scripts.set(name, script);
    const now = (): number => (this.opts.clock ?? Date.now)();
    this.env = {
      options: () => this.opts,
      script: name => this.scripts.get(name),
      scriptNames: () => [...this.scripts.keys()],
      faults: new FaultBook(),
      cache: new PromptCache(() => this.opts.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS, now),
      limiter: new RateLimiter(() => this.opts.rateLimit ?? DEFAULT_RATE_LIMIT, now),
      responses: new ResponseStore(),
      now,
    };
    this.server = createServer((req, res) => void this.handle(req, res));
    // Longer than clients' idle keep-alive, so a reused connection is never closed under a request.
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', socket => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        this.url = `http://127.0.0.1:${this.port}/v1`;
        resolve();
      });
    });
  }

  addScript(name: string, script: Script): void {
    this.scripts.set(name, script);
  }

  setFaults(faults: Fault[]): void {
    this.env.faults.set(faults);
  }

  /** Merges options; `scripts` are added to the known ones; `port` cannot change. */
  setOptions(options: Partial<UpstreamOptions>): void {
    const { scripts, port: _port, ...rest } = options;
    this.opts = { ...this.opts, ...rest };
    for (const [name, script] of Object.entries(scripts ?? {})) this.scripts.set(name, script);
  }

  resetCache(): void {
    this.env.cache.reset();
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  waitForRequests(count: number, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    const done = (): RecordedRequest[] => this.requests.filter(r => r.done);
    if (done().length >= count) return Promise.resolve(done());
    return new Promise((resolve, reject) => {
      const waiter = { count, resolve: () => { clearTimeout(timer); resolve(done()); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter(w => w !== waiter);
        reject(new Error(`test upstream: waited ${timeoutMs} ms for ${count} answered requests, saw ${done().length}`));
      }, timeoutMs);
      timer.unref();
      this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    this.closed ??= new Promise(resolve => {
      this.closing.abort();
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const requestId = `req_${randomBytes(16).toString('hex')}`;
    res.setHeader('x-request-id', requestId);
    let record: RecordedRequest | undefined;
    try {
      const bodyText = await readBody(req);
      if (path.startsWith('/_admin/')) {
        handleAdmin(this, method, path, bodyText, res);
        return;
      }
      record = {
        n: ++this.count, method, path, url: req.url ?? path, headers: flattenHeaders(req), body: {}, at: this.env.now(), requestId, done: false,
      };
      this.requests.push(record);
      const limit = this.opts.recordLimit;
      if (limit !== undefined && this.requests.length > limit) this.requests.splice(0, this.requests.length - limit);
      record.body = parseBody(bodyText);
      this.authorize(record.headers.authorization);
      await this.route(method, path, record, res);
    } catch (err) {
      this.fail(res, err);
    } finally {
      if (record) {
        if (res.headersSent && record.status === undefined) record.status = res.statusCode;
        if (res.headersSent && !res.writableEnded) record.cut = true;
        record.done = true;
        this.notify();
      }
    }
  }

  private async route(method: string, path: string, record: RecordedRequest, res: ServerResponse): Promise<void> {
    const signal = this.requestSignal(res);
    const turn = { record, res, signal };
    if (method === 'POST' && path === '/v1/responses' && !this.opts.chatOnly) return serveResponses(this.env, turn, record.body);
    if (method === 'POST' && path === '/v1/chat/completions') return serveChat(this.env, turn, record.body);
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: MODELS.map(modelObject) });
    }
    const model = /^\/v1\/models\/([^/]+)$/.exec(path);
    if (method === 'GET' && model) {
      const id = decodeURIComponent(model[1]!);
      if (!MODELS.includes(id)) {
        throw new UpstreamHttpError(404, errorBody(`The model '${id}' does not exist or you do not have access to it.`,
          'invalid_request_error', null, 'model_not_found'));
      }
      return sendJson(res, 200, modelObject(id));
    }
    const stored = /^\/v1\/responses\/([^/]+)$/.exec(path);
    if (method === 'GET' && stored && !this.opts.chatOnly) {
      const response = this.env.responses.response(decodeURIComponent(stored[1]!));
      if (!response) throw new UpstreamHttpError(404, errorBody(`No response found with id '${stored[1]}'.`, 'invalid_request_error'));
      return sendJson(res, 200, response);
    }
    const unknown = notFound(method, path);
    if (this.opts.unknownPathsAnswer200) return sendJson(res, 200, unknown.body);
    throw unknown;
  }

  private authorize(header: string | undefined): void {
    const key = this.opts.requireKey;
    if (key === undefined) return;
    const given = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (given === key) return;
    const message = given === undefined
      ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
      : `Incorrect API key provided: ${maskKey(given)}.`;
    throw new UpstreamHttpError(401, errorBody(message, 'invalid_request_error', null, given === undefined ? null : 'invalid_api_key'));
  }

  /** Aborts when the client leaves before the answer is complete, or when the server closes. */
  private requestSignal(res: ServerResponse): AbortSignal {
    const left = new AbortController();
    res.once('close', () => left.abort());
    return AbortSignal.any([left.signal, this.closing.signal]);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof UpstreamHttpError) {
      sendJson(res, err.status, err.body, err.headers);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    sendJson(res, 500, errorBody(`test upstream: internal error: ${message}`, 'server_error'));
  }

  private notify(): void {
    if (!this.waiters.length) return;
    const answered = this.requests.filter(r => r.done).length;
    const ready = this.waiters.filter(w => w.count <= answered);
    this.waiters = this.waiters.filter(w => w.count > answered);
    for (const w of ready) w.resolve();
  }
}

function modelObject(id: string): JsonObject {
  return { id, object: 'model', created: 1_735_689_600, owned_by: 'system' };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function parseBody(text: string): JsonObject {
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UpstreamHttpError(400, errorBody('We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP library correctly. '
      + 'The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)', 'invalid_request_error'));
  }
  if (!isRecord(parsed)) throw new UpstreamHttpError(400, errorBody('The request body must be a JSON object.', 'invalid_request_error'));
  return parsed;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new UpstreamHttpError(413, errorBody(`Request body larger than ${MAX_BODY_BYTES} bytes.`, 'invalid_request_error')));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
