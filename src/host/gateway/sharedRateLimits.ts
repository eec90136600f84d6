// What the provider last said of its rate-limit windows, shared by every process on the machine that sends
// with the same key to the same server. The provider counts the whole fleet's requests against one window,
// but each process hears only its own responses: one that has not heard for a while sends into a window the
// others have spent, and a 429 one process met would be met again by each of the others.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeWhole } from '../util/writeWhole';
import type { RateLimitSnapshot } from './rateLimiter';

/** One server and key's last word, as it is written to its file. */
export interface SharedRateWord {
  /** Epoch ms when the request it answered was sent: the newer word wins. */
  observedAt: number;
  snapshot: RateLimitSnapshot;
}

/** Between two looks at (or writes of) the file: a fleet's requests read it often, and it need not be fresher. */
const EVERY_MS = 100;

/** The file's name for a server and key: the key is never written, only a hash of it with the server's address. */
export function rateLimitKey(baseURL: string, apiKey: string | undefined): string {
  return createHash('sha256').update(`${baseURL}\n${apiKey ?? ''}`).digest('hex').slice(0, 20);
}

export class SharedRateLimits {
  private lastLook = 0;
  private lastStamp = '';
  private lastWrite = 0;
  private trailing: NodeJS.Timeout | undefined;
  private latest: { key: string; word: SharedRateWord } | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string, private readonly log: (message: string) => void) {}

  /** The word in the file when it changed since the last look (at most one look per 100 ms), else undefined. */
  async read(key: string, now = Date.now()): Promise<SharedRateWord | undefined> {
    if (now - this.lastLook < EVERY_MS) return undefined;
    this.lastLook = now;
    const file = this.fileOf(key);
    try {
      const st = await fs.stat(file);
      const stamp = `${key}:${st.ino}:${st.mtimeMs}:${st.size}`;
      if (stamp === this.lastStamp) return undefined;
      this.lastStamp = stamp;
      return parseWord(JSON.parse(await fs.readFile(file, 'utf8')));
    } catch (err) {
      // None yet, or one being replaced: the next look sees it.
      if (!(err instanceof SyntaxError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`Reading the shared rate limits: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Writes the word soon: at once when the file was not written in the last 100 ms, else once that is up. */
  publish(key: string, word: SharedRateWord): void {
    this.latest = { key, word };
    if (this.trailing) return;
    const wait = Math.max(0, this.lastWrite + EVERY_MS - Date.now());
    if (wait === 0) this.flush();
    else this.trailing = setTimeout(() => this.flush(), wait).unref();
  }

  /** Resolves when what was published has been written (tests, and a process about to exit). */
  async settled(): Promise<void> {
    if (this.trailing) {
      clearTimeout(this.trailing);
      this.flush();
    }
    await this.writing;
  }

  private flush(): void {
    this.trailing = undefined;
    const latest = this.latest;
    if (!latest) return;
    this.latest = undefined;
    this.lastWrite = Date.now();
    this.writing = this.writing
      .then(() => writeWhole(this.fileOf(latest.key), JSON.stringify(latest.word)))
      .catch(err => this.log(`Sharing the rate limits with other processes: ${(err as Error).message}`));
  }

  private fileOf(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }
}

/** A word from another process (another version, perhaps): numbers only, anything else left out. */
function parseWord(value: unknown): SharedRateWord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const snap = (typeof v.snapshot === 'object' && v.snapshot !== null ? v.snapshot : {}) as Record<string, unknown>;
  if (typeof v.observedAt !== 'number' || !Number.isFinite(v.observedAt)) return undefined;
  const snapshot: RateLimitSnapshot = {};
  for (const name of SNAPSHOT_FIELDS) {
    const n = snap[name];
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) snapshot[name] = n;
  }
  return { observedAt: v.observedAt, snapshot };
}

const SNAPSHOT_FIELDS = ['remainingRequests', 'limitRequests', 'remainingTokens', 'limitTokens', 'requestsResetAt', 'tokensResetAt', 'blockedUntil'] as const satisfies ReadonlyArray<keyof RateLimitSnapshot>;
