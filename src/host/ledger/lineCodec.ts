// One ledger line per record: {"c":"<crc32 of the record JSON>","r":<record JSON>}\n
// The checksum covers the exact bytes written, so a torn or damaged line is recognised and skipped.
import { crc32 } from 'node:zlib';
import type { UsageRecord } from '../../protocol/records';
import type { ServedTier, Tier } from '../../protocol/types';

const PREFIX = Buffer.from('{"c":"');
const MIDDLE = Buffer.from('","r":');
const CRC_HEX = 8;
const HEADER = PREFIX.length + CRC_HEX + MIDDLE.length;
const NEWLINE = 0x0a;

export class LedgerRecordError extends Error {
  override readonly name = 'LedgerRecordError';
}

export function encodeLine(rec: UsageRecord): Buffer {
  const body = Buffer.from(JSON.stringify(rec));
  const crc = crc32(body).toString(16).padStart(CRC_HEX, '0');
  return Buffer.concat([PREFIX, Buffer.from(crc), MIDDLE, body, Buffer.from('}\n')]);
}

export type Decoded =
  | { ok: true; record: UsageRecord; skippedBytes: number }
  | { ok: false; reason: string };

/**
 * Decodes one line (without its newline). A writer that died mid-line leaves a fragment that the next
 * record is appended to, so a damaged line is searched for a later record start that checks out.
 */
export function decodeLine(line: Buffer): Decoded {
  const whole = decodeAt(line, 0);
  if (whole.ok) return whole;
  for (let at = line.indexOf(PREFIX, 1); at > 0; at = line.indexOf(PREFIX, at + 1)) {
    const tail = decodeAt(line, at);
    if (tail.ok) return tail;
  }
  return whole;
}

function decodeAt(line: Buffer, start: number): Decoded {
  const len = line.length - start;
  if (len < HEADER + 3 || line[line.length - 1] !== 0x7d /* } */) return { ok: false, reason: 'truncated line' };
  if (!line.subarray(start, start + PREFIX.length).equals(PREFIX) || !line.subarray(start + PREFIX.length + CRC_HEX, start + HEADER).equals(MIDDLE)) {
    return { ok: false, reason: 'not a ledger line' };
  }
  const body = line.subarray(start + HEADER, line.length - 1);
  const crcText = line.toString('latin1', start + PREFIX.length, start + PREFIX.length + CRC_HEX);
  if (!/^[0-9a-f]{8}$/.test(crcText) || parseInt(crcText, 16) !== crc32(body)) return { ok: false, reason: 'checksum mismatch' };
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid JSON under a valid checksum' };
  }
  const problem = recordProblem(value);
  return problem ? { ok: false, reason: problem } : { ok: true, record: value as UsageRecord, skippedBytes: start };
}

/** Splits a chunk into complete lines; the bytes after the last newline are left for the next read. */
export function* completeLines(chunk: Buffer): Generator<{ line: Buffer; end: number }> {
  let start = 0;
  for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
    yield { line: chunk.subarray(start, nl), end: nl + 1 };
    start = nl + 1;
  }
}

const TIERS = new Set<string>(['priority', 'standard', 'flex']);
const SERVED = new Set<string>([...TIERS, 'unknown']);
const COUNTS = ['input', 'cached', 'cacheWrite', 'output', 'reasoning'] as const;

/** Why a value is not a UsageRecord the rollups can use, or null when it is one. */
export function recordProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return 'record is not an object';
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || !r.id) return 'record has no id';
  if (typeof r.ts !== 'string' || Number.isNaN(Date.parse(r.ts))) return `record ${r.id}: ts is not an ISO time`;
  for (const k of ['sessionId', 'model'] as const) if (typeof r[k] !== 'string') return `record ${r.id}: ${k} is not a string`;
  if (!TIERS.has(r.requestedTier as Tier)) return `record ${r.id}: requestedTier is not a tier`;
  if (!SERVED.has(r.servedTier as ServedTier)) return `record ${r.id}: servedTier is not a tier`;
  for (const k of COUNTS) {
    const n = r[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return `record ${r.id}: ${k} is not a token count`;
  }
  for (const k of ['costUsd', 'standardCostUsd'] as const) {
    const c = r[k];
    if (c !== null && (typeof c !== 'number' || !Number.isFinite(c) || c < 0)) return `record ${r.id}: ${k} is not a cost`;
  }
  return null;
}
