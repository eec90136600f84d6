// How long a server asks its clients to wait before they try again: OpenAI's `retry-after-ms`, or the
// standard `retry-after`, in seconds or as an HTTP date; failing those, when its rate-limit window resets.
type HeaderSource = { get(name: string): string | null };

export function retryAfterMs(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  const ms = numberIn(headers?.get('retry-after-ms'));
  if (ms !== undefined) return ms;
  const raw = headers?.get('retry-after')?.trim();
  if (!raw) return undefined;
  const seconds = numberIn(raw);
  if (seconds !== undefined) return seconds * 1000;
  // A number that is not a wait ("-5") is no date either, though Date.parse would take it for a year.
  if (/^[-+\d.\s]+$/.test(raw)) return undefined;
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

function numberIn(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * A 429 that says no retry-after: the reset of the window it ran out of (x-ratelimit-reset-requests or
 * -tokens, whichever has none left; the later of the two when the headers do not say what is left).
 * Undefined when both windows have some left: the 429 is about something else, which they do not time.
 */
export function rateLimitResetMs(headers: HeaderSource | undefined): number | undefined {
  if (!headers) return undefined;
  const kinds = ['requests', 'tokens'];
  const left = (kind: string) => headers.get(`x-ratelimit-remaining-${kind}`)?.trim() || undefined;
  const reset = (kind: string) => parseDuration(headers.get(`x-ratelimit-reset-${kind}`));
  const spent = kinds.filter(kind => left(kind) === '0');
  const unsaid = kinds.every(kind => left(kind) === undefined);
  const resets = (spent.length ? spent : unsaid ? kinds : []).map(reset).filter((ms): ms is number => ms !== undefined);
  return resets.length ? Math.max(...resets) : undefined;
}

/** The provider's reset format: "1s", "6m0s", "20ms", "1h2m3.5s". */
export function parseDuration(v: string | null): number | undefined {
  if (!v) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = false;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    matched = true;
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  if (!matched && Number.isFinite(Number(v))) return Number(v) * 1000;
  return matched ? total : undefined;
}
