// JSON narrowing for request bodies, and OpenAI-shaped errors.

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stringField(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  return typeof v === 'string' ? v : undefined;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An answer other than 2xx, thrown anywhere in request handling and written by the server. */
export class UpstreamHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string'
      ? body.error.message : `HTTP ${status}`);
    this.name = 'UpstreamHttpError';
  }
}

export function errorBody(message: string, type: string, param: string | null = null, code: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

export function invalidRequest(message: string, param: string | null = null, code: string | null = null): UpstreamHttpError {
  return new UpstreamHttpError(400, errorBody(message, 'invalid_request_error', param, code));
}

export function notFound(method: string, path: string): UpstreamHttpError {
  return new UpstreamHttpError(404, errorBody(`Invalid URL (${method} ${path})`, 'invalid_request_error'));
}

/** The body the provider sends with a status when a fault does not give its own. */
export function defaultFaultBody(status: number): OpenAIErrorBody {
  if (status === 429) {
    return errorBody('Rate limit reached (injected by the test upstream). Please try again later.',
      'rate_limit_exceeded', null, 'rate_limit_exceeded');
  }
  if (status === 503) return errorBody('The engine is currently overloaded, please try again later.', 'server_error');
  if (status >= 500) {
    return errorBody('The server had an error while processing your request. Sorry about that!', 'server_error');
  }
  if (status === 401) return errorBody('Incorrect API key provided.', 'invalid_request_error', null, 'invalid_api_key');
  return errorBody(`Injected error ${status}.`, 'invalid_request_error');
}

/** Shows enough of a key to recognise it, never the whole secret (as the provider does). */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}
