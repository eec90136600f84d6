// How long a server asks its clients to wait before they try again: OpenAI's `retry-after-ms`, or the
// standard `retry-after`, in seconds or as an HTTP date.
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
