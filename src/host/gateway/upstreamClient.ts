// The gateway's client for the model server: node:http(s) over a keep-alive pool of its own. fetch (undici)
// cost about half a millisecond and 0.8 ms of CPU more per request here, and a web stream layer per
// chunk; every agent's every turn pays it. The pool is the gateway's, so closing it ends its sockets.
import http from 'node:http';
import https from 'node:https';

/** What the model server answered: status and headers at once, the body as it arrives. */
export interface UpstreamReply {
  status: number;
  headers: Headers;
  body: http.IncomingMessage;
}

/**
 * The request failed before an answer began. `afterSending`: the whole request had gone out by then, so the
 * server may have begun on it, and may bill it (a cut connection, a 300 s silence, a cancel while waiting).
 */
export class UpstreamRequestError extends Error {
  constructor(cause: Error, readonly afterSending: boolean) {
    // One line: it is quoted inside reasons and log lines, and OpenSSL's texts end in a newline.
    super(cause.message.replace(/\s+/g, ' ').trim(), { cause });
    this.name = cause.name;
  }
}

/** Time the model server may stay silent (no byte either way) before the request fails: fetch's default. */
export const IDLE_TIMEOUT_MS = 300_000;
/** Flex may queue a request for long (API-FACTS.md: raise the timeout); OpenAI suggests 15 minutes. */
export const FLEX_IDLE_TIMEOUT_MS = 900_000;

export class UpstreamClient {
  private readonly plain = new http.Agent({ keepAlive: true });
  private readonly secure = new https.Agent({ keepAlive: true });

  /** Rejects (UpstreamRequestError) when the server cannot be reached or the signal aborts first; any status resolves. */
  request(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string, signal?: AbortSignal, idleTimeoutMs = IDLE_TIMEOUT_MS): Promise<UpstreamReply> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      return Promise.reject(new Error(`${target.protocol} is not a protocol the model server can be spoken to in (use http or https)`));
    }
    const sent = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    return this.send(method, target, sent, body, signal, idleTimeoutMs, true);
  }

  private send(method: string, target: URL, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined, idleMs: number, mayRetry: boolean): Promise<UpstreamReply> {
    // Cancelled before it went: never sent (a socket at hand could take the whole body before the abort is seen).
    if (signal?.aborted) return Promise.reject(new UpstreamRequestError(new Error('the request was cancelled before it was sent'), false));
    return new Promise((resolve, reject) => {
      const secure = target.protocol === 'https:';
      const req = (secure ? https : http).request(target, { method, headers, agent: secure ? this.secure : this.plain, signal }, res => {
        resolve({ status: res.statusCode ?? 502, headers: toHeaders(res.headers), body: res });
      });
      req.setTimeout(idleMs, () => req.destroy(new Error(`the model server sent nothing for ${idleMs / 1000} s`)));
      req.once('error', err => {
        // A pooled connection the server closed as it was taken (its idle timeout): the request never
        // reached the server, so it goes again, once, on a new connection (Node's documented remedy).
        // Once an answer began, Node reports socket errors on the response, not here: never sent twice.
        if (mayRetry && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !signal?.aborted) {
          resolve(this.send(method, target, headers, body, signal, idleMs, false));
        } else {
          reject(new UpstreamRequestError(err, req.writableFinished));
        }
      });
      req.end(body);
    });
  }

  /** Ends every pooled socket; requests under way fail. */
  close(): void {
    this.plain.destroy();
    this.secure.destroy();
  }
}

/** Node's parsed headers as a fetch `Headers`; a repeated header keeps every value. */
export function toHeaders(from: http.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(from)) {
    if (typeof value === 'string') out.set(name, value);
    else if (value) for (const v of value) out.append(name, v);
  }
  return out;
}

/** The whole body as text; rejects if the server cuts it short. */
export function readText(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', reject);
    res.once('close', () => {
      if (!res.complete) reject(cutShort());
    });
  });
}

export interface BodyObserver {
  /** Each chunk, before the reader sees it; what it returns, if anything, is what the reader gets instead. */
  chunk(value: Uint8Array): Uint8Array | void;
  /** The body ended whole: anything held back for the reader. */
  tail?(): Uint8Array | void;
  /** Called once: with true when the body ended whole, false when it was cut, failed or was cancelled. */
  settle(whole: boolean): void;
}

/**
 * The body as the web stream a Response carries, passed on as it arrives. Read, not listened to: Node
 * hands over a streamed HTTP body one transfer chunk at a time (one per event the server wrote), and
 * `read()` takes together whatever one read of the socket brought, as fetch did; per-chunk work after it
 * (the meter's scan, the relay's socket write, the SDK's decoding) then runs once per read, not per event.
 * Nothing is read while the reader is behind, so the socket is held back. A body the server cuts short
 * errors the stream; cancelling the stream ends the request.
 */
export function bodyStream(res: http.IncomingMessage, observer: BodyObserver): ReadableStream<Uint8Array> {
  let settled = false;
  const settle = (whole: boolean) => {
    if (settled) return false;
    settled = true;
    observer.settle(whole);
    return true;
  };
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const flush = () => {
    let chunk: Buffer | null;
    while (!settled && (controller.desiredSize ?? 1) > 0 && (chunk = res.read() as Buffer | null) !== null) {
      let passed: Uint8Array | void;
      try {
        passed = observer.chunk(chunk);
      } catch (err) {
        if (settle(false)) controller.error(err);
        res.destroy();
        return;
      }
      const out = passed ?? chunk;
      if (out.length) controller.enqueue(out);
    }
  };
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      res.on('readable', flush);
      res.once('end', () => {
        if (!settle(true)) return;
        const rest = observer.tail?.();
        if (rest && rest.length) controller.enqueue(rest);
        controller.close();
      });
      res.once('error', err => {
        if (settle(false)) controller.error(err);
      });
      // Node reports a cut body as an 'error' first; this catches any close that comes without one,
      // so the meter always settles and the reservation is always released.
      res.once('close', () => {
        if (!res.complete && settle(false)) controller.error(cutShort());
      });
    },
    pull: flush,
    cancel() {
      settle(false);
      res.destroy();
    },
  });
}

function cutShort(): Error {
  return new Error('the model server closed the connection before the response ended');
}
