// Error answers in the provider's own shape, so every agent (the SDK, Codex, curl) shows them properly.
// Refusals use statuses the SDK does not retry (402, 403), so a paused agent stops asking at once.

export function errorResponse(status: number, message: string, code: string, type = 'invalid_request_error', headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { message, type, code, param: null } }), {
    status,
    // A failure of the gateway's own is retried by the agent, which waits and says why; the openai SDK would
    // otherwise send each attempt three times at once (it honours x-should-retry).
    headers: { 'content-type': 'application/json', ...(status >= 500 ? { 'x-should-retry': 'false' } : {}), ...headers },
  });
}

/** The model server's address as messages show it: no credentials, no query. */
export function shownUrl(baseURL: string): string {
  try {
    const u = new URL(baseURL);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return 'the configured base URL';
  }
}

/** Upstream headers worth passing back to the agent: rate limits, request ids, retry hints. */
export function passThroughHeaders(from: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  from.forEach((value, name) => {
    if (
      name === 'content-type' ||
      name === 'retry-after' ||
      name === 'retry-after-ms' ||
      name === 'x-request-id' ||
      name === 'openai-processing-ms' ||
      name.startsWith('x-ratelimit-')
    ) {
      out[name] = value;
    }
  });
  return out;
}

/**
 * An API path under the model server's address: after its path, before its query (a server that wants
 * `?api-version=…` on every request keeps it). A fragment is never sent.
 */
export function apiUrl(baseURL: string, apiPath: string): string {
  // Every request comes here: the common address (no query, no fragment) is joined without a parse.
  if (!/[?#]/.test(baseURL)) return `${baseURL.replace(/\/+$/, '')}/${apiPath}`;
  try {
    const u = new URL(baseURL);
    u.hash = '';
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/${apiPath}`;
    return u.toString();
  } catch {
    return `${baseURL.replace(/\/+$/, '')}/${apiPath}`;
  }
}
