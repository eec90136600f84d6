// Days and months as the user lives them: local dates, keyed YYYY-MM-DD and YYYY-MM.

export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function localMonth(d: Date): string {
  return localDay(d).slice(0, 7);
}

export function monthOfDay(day: string): string {
  return day.slice(0, 7);
}

/** Every day of a YYYY-MM month, in order. */
export function daysOfMonth(month: string): string[] {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw new RangeError(`not a month (YYYY-MM): ${month}`);
  const count = new Date(Number(m[1]), Number(m[2]), 0).getDate();
  return Array.from({ length: count }, (_, i) => `${month}-${pad(i + 1)}`);
}

/** The zone local dates are computed in; rollups made in another zone bucket days differently. */
export function timeZoneId(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? `UTC${-new Date().getTimezoneOffset() / 60}`;
}

/**
 * Day key of an ISO timestamp. Local midnights fall on quarter hours (UTC) in every zone in use, so
 * records of the same UTC minute (`...THH:MM` of a `Z` time) share one answer, and so do those of one
 * 15-minute bucket: consecutive records, the common case, skip the date math.
 */
export class DayKeyCache {
  private minute = '';
  private bucket = Number.NaN;
  private key = '';

  dayOf(ts: string): string {
    if (this.minute && ts.startsWith(this.minute) && ts.endsWith('Z')) return this.key;
    const ms = Date.parse(ts);
    this.minute = ts.length > 16 && ts[10] === 'T' && ts.endsWith('Z') ? ts.slice(0, 16) : '';
    const bucket = Math.floor(ms / 900_000);
    if (bucket !== this.bucket) {
      this.bucket = bucket;
      this.key = localDay(new Date(ms));
    }
    return this.key;
  }
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
