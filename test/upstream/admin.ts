// The admin endpoint, so a test in another process (the VS Code end-to-end tests) can configure the
// upstream and read what it received:
//   POST /_admin/config   {faults?, scripts?, servedTier?, eventDelayMs?, resetCache?, clearRequests?}
//   GET  /_admin/requests the recorded requests, as JSON
import type { ServerResponse } from 'node:http';
import { ConfigError, parseAdminConfig } from './config';
import type { Fault, RecordedRequest, Script, UpstreamOptions } from './types';
import { errorBody, notFound, UpstreamHttpError } from './wire';

export interface AdminTarget {
  readonly requests: RecordedRequest[];
  addScript(name: string, script: Script): void;
  setFaults(faults: Fault[]): void;
  setOptions(options: Partial<UpstreamOptions>): void;
  resetCache(): void;
  clearRequests(): void;
}

export function handleAdmin(target: AdminTarget, method: string, path: string, bodyText: string, res: ServerResponse): void {
  if (method === 'GET' && path === '/_admin/requests') {
    sendJson(res, 200, target.requests);
    return;
  }
  if (method !== 'POST' || path !== '/_admin/config') throw notFound(method, path);
  let config;
  try {
    config = parseAdminConfig(bodyText.trim() ? JSON.parse(bodyText) : {});
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SyntaxError) {
      throw new UpstreamHttpError(400, errorBody(`test upstream admin: ${err.message}`, 'invalid_request_error'));
    }
    throw err;
  }
  if (config.scripts) for (const [name, script] of Object.entries(config.scripts)) target.addScript(name, script);
  if (config.faults) target.setFaults(config.faults);
  if (config.servedTier !== undefined) target.setOptions({ servedTier: config.servedTier ?? undefined });
  if (config.eventDelayMs !== undefined) target.setOptions({ eventDelayMs: config.eventDelayMs });
  if (config.resetCache) target.resetCache();
  if (config.clearRequests) target.clearRequests();
  sendJson(res, 200, { ok: true });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
