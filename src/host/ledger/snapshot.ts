// Rollups saved with the ledger offset they cover, so a start reads only the tail of a big ledger.
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { timeZoneId } from './localDate';
import { Rollups } from './rollups';

// 2: records whose response named no tier are counted at the tier asked for (rollups.ts billedTier).
const FORMAT = 'switchyard-ledger-rollups/2';
const ANCHOR_BYTES = 4096;
const ORPHAN_TMP_AGE_MS = 10 * 60_000;

// Named by its format: a build of another format keeps its own snapshot beside this one, rather than each
// throwing the other's away (and rebuilding from the whole ledger) on every start.
export const SNAPSHOT_NAME = 'rollups.v2.snapshot.json';

export interface LoadedSnapshot {
  rollups: Rollups;
  offset: number;
}

/**
 * Writes atomically (temp file, fsync, rename): a reader sees the old snapshot or the new one, whole.
 * Several processes may save at once; any of them is a consistent (offset, rollups) pair.
 */
export async function saveSnapshot(dir: string, ledgerFile: fsp.FileHandle, offset: number, rollups: Rollups): Promise<void> {
  // Serialise first, synchronously, so the rollups cannot move while the offset is captured.
  const body = JSON.stringify(rollups.toJSON());
  const anchor = await anchorOf(ledgerFile, offset);
  const head = JSON.stringify({ format: FORMAT, offset, anchor, tz: timeZoneId(), savedAt: new Date().toISOString() });
  const text = `${head.slice(0, -1)},"rollups":${body}}`;
  const tmp = path.join(dir, `${SNAPSHOT_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const f = await fsp.open(tmp, 'w');
    try {
      await f.writeFile(text);
      await f.sync();
    } finally {
      await f.close();
    }
    await fsp.rename(tmp, path.join(dir, SNAPSHOT_NAME));
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** The snapshot, or null (with the reason logged) when it is missing, damaged, or not for this ledger. */
export async function loadSnapshot(dir: string, ledgerFile: fsp.FileHandle, warn: (m: string) => void): Promise<LoadedSnapshot | null> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, SNAPSHOT_NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`ledger snapshot unreadable (${(e as Error).message}); rebuilding rollups`);
    return null;
  }
  try {
    const snap = JSON.parse(text) as { format?: unknown; offset?: unknown; anchor?: unknown; tz?: unknown; rollups?: unknown };
    if (snap.format !== FORMAT) throw new Error(`unknown format ${String(snap.format)}`);
    if (typeof snap.offset !== 'number' || !Number.isSafeInteger(snap.offset) || snap.offset < 0) throw new Error('bad offset');
    if (snap.tz !== timeZoneId()) throw new Error(`made in time zone ${String(snap.tz)}, days are now ${timeZoneId()}`);
    const { size } = await ledgerFile.stat();
    if (snap.offset > size) throw new Error(`covers ${snap.offset} bytes but the ledger has ${size}`);
    if (snap.anchor !== (await anchorOf(ledgerFile, snap.offset))) throw new Error('the ledger bytes it covers have changed');
    return { rollups: Rollups.fromJSON(snap.rollups), offset: snap.offset };
  } catch (e) {
    warn(`ledger snapshot not usable (${(e as Error).message}); rebuilding rollups from the ledger`);
    return null;
  }
}

/** Removes temp files of saves that died before their rename. */
export async function removeOrphanTemps(dir: string): Promise<void> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`${SNAPSHOT_NAME}.`) || !name.endsWith('.tmp')) continue;
    const p = path.join(dir, name);
    const st = await fsp.stat(p).catch(() => null);
    if (st && Date.now() - st.mtimeMs > ORPHAN_TMP_AGE_MS) await fsp.unlink(p).catch(() => undefined);
  }
}

/** Fingerprint of the bytes just before the offset: a replaced or rewritten ledger will not match. */
async function anchorOf(file: fsp.FileHandle, offset: number): Promise<string> {
  const start = Math.max(0, offset - ANCHOR_BYTES);
  const buf = Buffer.alloc(offset - start);
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await file.read(buf, got, buf.length - got, start + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return `${offset - start}:${crc32(buf.subarray(0, got)).toString(16)}`;
}
