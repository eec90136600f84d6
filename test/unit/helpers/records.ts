// Usage records for ledger and budget tests, and a reader that sees every valid line of a ledger file
// (doubles included), independent of the ledger's own reading.
import { readFileSync } from 'node:fs';
import type { UsageRecord } from '../../../src/protocol/records';
import { completeLines, decodeLine } from '../../../src/host/ledger/lineCodec';

export function makeRecord(id: string, over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id,
    ts: new Date(2026, 10, 5, 12, 0, 0).toISOString(),
    sessionId: 's1',
    repo: '/repo',
    role: 'coder',
    model: 'gpt-5.4',
    requestedTier: 'standard',
    servedTier: 'standard',
    input: 1_000,
    cached: 200,
    cacheWrite: 0,
    output: 100,
    reasoning: 20,
    costUsd: 0.0035,
    standardCostUsd: 0.0035,
    latencyMs: 500,
    endpoint: 'responses',
    ...over,
  };
}

export function readAllRecords(file: string): UsageRecord[] {
  const out: UsageRecord[] = [];
  for (const { line } of completeLines(readFileSync(file))) {
    const d = decodeLine(line);
    if (d.ok) out.push(d.record);
  }
  return out;
}
