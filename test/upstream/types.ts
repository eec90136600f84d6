// Public types of the test upstream: the scripted model, faults, options and what it records.

export interface ScriptCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** One model turn. Text comes first, then the calls, as real models emit them. */
export interface ScriptStep {
  /** Assistant text, streamed in word-sized deltas. Templates: {{task}}, {{turn}}, {{n}}. */
  text?: string;
  /** One or several function calls in the same turn. Templates apply to string values. */
  calls?: ScriptCall[];
  /** Added to output_tokens and reported as reasoning tokens. */
  reasoningTokens?: number;
}

/** After the last step: repeat it when `repeatLast` (a looping agent), else answer the plain text "done.". */
export interface Script {
  steps: ScriptStep[];
  repeatLast?: boolean;
}

export interface FaultMatch {
  /** The request path, or its tail (`/responses` matches `/v1/responses`). */
  path?: string;
  /** 1-based number of the request on this server (every /v1 request counts). */
  nth?: number;
  /** Name of the script the request selected. */
  script?: string;
}

export interface Fault {
  match?: FaultMatch;
  /** Answer this HTTP status with an OpenAI error body instead of a model turn. */
  status?: number;
  /** Sent as `retry-after` (seconds, fractions allowed) with the status. */
  retryAfterSec?: number;
  /** Replaces the default OpenAI error body for `status`. */
  body?: unknown;
  /** Destroy the connection after this many events (no response.completed, no [DONE]). */
  cutAfterEvents?: number;
  /** Send an in-stream `error` event after this many events, then end the stream. */
  errorAfterEvents?: number;
  /** Wait this long before the first byte. */
  delayMs?: number;
  /** Pause between events of this response (overrides the server's eventDelayMs). */
  eventDelayMs?: number;
  /** How many times the fault fires; unlimited when absent. */
  times?: number;
}

export interface RateLimit {
  requests: number;
  tokens: number;
  /** How long a window lasts. Default a minute, as the provider's limits are per minute. */
  windowMs?: number;
}

export interface UpstreamOptions {
  /** Default 0 (a free port). The server always binds 127.0.0.1. */
  port?: number;
  /** Chosen by a "[script:NAME]" tag in the first user message; else 'default'. */
  scripts?: Record<string, Script>;
  /** Pause between SSE events (realistic pacing for benchmarks). Default 0. */
  eventDelayMs?: number;
  /** Force the echoed service_tier whatever the request asked for. */
  servedTier?: string;
  /** Idle expiry of prompt-cache entries. Default 10 minutes. */
  cacheTtlMs?: number;
  /** /v1/responses answers 404, like servers that only speak Chat Completions. */
  chatOnly?: boolean;
  /** Paths it does not serve are answered 200 with the error body, as some local servers do. Default 404. */
  unknownPathsAnswer200?: boolean;
  /** Requests without `Authorization: Bearer <requireKey>` get 401. */
  requireKey?: string;
  /** Limits behind the x-ratelimit-* headers (per minute unless the window is given); exceeding one answers 429. */
  rateLimit?: RateLimit;
  /** Keep only the newest this many recorded requests (long benchmarks); all by default. */
  recordLimit?: number;
  /** Clock in ms, for tests that move time (cache expiry, rate-limit windows). Default Date.now. */
  clock?: () => number;
}

export interface RecordedUsage {
  input: number;
  cached: number;
  output: number;
  reasoning: number;
}

export interface RecordedRequest {
  /** 1-based number of the request on this server. */
  n: number;
  method: string;
  path: string;
  /** The path with its query, as it came. */
  url: string;
  /** Lower-cased names; includes `authorization`. */
  headers: Record<string, string>;
  /** The parsed JSON body ({} when there was none or it did not parse). */
  body: Record<string, unknown>;
  /** Arrival time, from the server's clock. */
  at: number;
  /** The `x-request-id` the server answered with. */
  requestId: string;
  /** HTTP status sent (set once headers go out). */
  status?: number;
  script?: string;
  /** 0-based step of the script that was played. */
  step?: number;
  usage?: RecordedUsage;
  servedTier?: string;
  /** A fault fired on this request. */
  fault?: boolean;
  /** The stream was cut on purpose or the client went away before the end. */
  cut?: boolean;
  /** The turn was truncated by max_output_tokens / max_tokens. */
  incomplete?: boolean;
  /** True once the response has been fully written or the connection has ended. */
  done: boolean;
}

export interface TestUpstream {
  /** http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  requests: RecordedRequest[];
  addScript(name: string, script: Script): void;
  /** Replaces the faults (and their counters). */
  setFaults(faults: Fault[]): void;
  setOptions(options: Partial<UpstreamOptions>): void;
  resetCache(): void;
  /** Resolves once `count` requests have been fully answered (or cut). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}
