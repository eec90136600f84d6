// What the agent-session tests inspect after a run: the ledger file as written, every file under a
// folder (for secrets that must not be there), the engine's log, and the money the price page quotes.
import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { UsageRecord } from '../../../../src/protocol/records';
import type { EngineSink } from '../../../../src/host/events';
import { silentSink } from '../../../../src/host/events';
import { decodeLine } from '../../../../src/host/ledger/lineCodec';
import { LEDGER_FILE } from '../../../../src/host/ledger/ledger';
import type { RecordedRequest, RecordedUsage } from '../../../upstream/server';

/** Every record in the ledger file of a Switchyard home, read from disk (not from the engine's memory). */
export function ledgerRecords(home: string): UsageRecord[] {
  const file = path.join(home, 'ledger', LEDGER_FILE);
  const lines = readFileSync(file).toString('utf8').split('\n').filter(l => l.length > 0);
  return lines.map((line, i) => {
    const d = decodeLine(Buffer.from(line));
    if (!d.ok) throw new Error(`ledger line ${i + 1} does not decode: ${d.reason}`);
    return d.record;
  });
}

/** Files under `dir` whose bytes contain `secret` (binary files included: sqlite, logs). */
export function filesContaining(dir: string, secret: string): string[] {
  const needle = Buffer.from(secret);
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      // lstat: Codex links its helper names to its own 300 MB binary; links lead outside, not to secrets.
      const st = lstatSync(p, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

/**
 * A sink that keeps the engine's log lines and, as JSON, everything else it sends out (session updates,
 * transcript events, alerts, spend): all a user or the extension could ever see. Approvals: yes.
 */
export function recordingSink(): EngineSink & { logs: string[]; traffic: string[]; next(match: (message: string) => boolean): Promise<string> } {
  const logs: string[] = [];
  const traffic: string[] = [];
  const waiters = new Set<{ match: (m: string) => boolean; resolve: (m: string) => void }>();
  const keep = (kind: string) => (...args: unknown[]) => {
    const message = JSON.stringify([kind, ...args]);
    traffic.push(message);
    for (const w of waiters) {
      if (!w.match(message)) continue;
      waiters.delete(w);
      w.resolve(message);
    }
  };
  return {
    ...silentSink,
    logs,
    traffic,
    /** The first message (already sent, or still to come) that matches. */
    next: match => {
      const sent = traffic.find(match);
      return sent !== undefined ? Promise.resolve(sent) : new Promise(resolve => waiters.add({ match, resolve }));
    },
    log: (level, message) => void logs.push(`${level}: ${message}`),
    sessionsChanged: keep('sessions'),
    transcriptEvents: keep('transcript'),
    alert: keep('alert'),
    spendChanged: keep('spend'),
  };
}

/** USD per million tokens as published (API-FACTS.md), to check the ledger against the price page. */
export interface PublishedPrice {
  input: number;
  cached: number;
  output: number;
}

export const GPT_5_4: PriceSheet = {
  standard: { input: 2.5, cached: 0.25, output: 15 },
  priority: { input: 5, cached: 0.5, output: 30 },
  flex: { input: 1.25, cached: 0.125, output: 7.5 },
};

export function publishedCost(p: PublishedPrice, u: RecordedUsage): number {
  return ((u.input - u.cached) * p.input + u.cached * p.cached + u.output * p.output) / 1e6;
}

export type PriceSheet = Record<'priority' | 'standard' | 'flex', PublishedPrice>;

/** The tier a served `service_tier` is billed at. */
export function billedTier(served: string | undefined): keyof PriceSheet {
  if (served === 'priority' || served === 'fast') return 'priority';
  if (served === 'flex') return 'flex';
  assert.equal(served, 'default', `unexpected served tier ${served}`);
  return 'standard';
}

/**
 * Asserts that each answered upstream request is in the ledger exactly once, under its request id, with
 * the usage and served tier the upstream reported and the published price for that tier, and that the
 * session has no other records; returns those records.
 */
export function assertMeteredOnce(records: readonly UsageRecord[], sessionId: string, upstream: readonly RecordedRequest[], prices: PriceSheet): UsageRecord[] {
  const mine = records.filter(r => r.sessionId === sessionId);
  assert.equal(mine.length, upstream.length, `${upstream.length} upstream requests but ${mine.length} ledger records`);
  for (const req of upstream) {
    const found = mine.filter(r => r.requestId === req.requestId);
    assert.equal(found.length, 1, `upstream request ${req.n} (${req.requestId}) is in the ledger ${found.length} times`);
    const r = found[0]!;
    assert.ok(req.usage, `upstream request ${req.n} reported no usage`);
    assert.deepEqual({ input: r.input, cached: r.cached, output: r.output, reasoning: r.reasoning }, req.usage, `usage of request ${req.n}`);
    const tier = billedTier(req.servedTier);
    assert.equal(r.servedTier, tier, `served tier of request ${req.n}`);
    const want = publishedCost(prices[tier], req.usage);
    assert.ok(r.costUsd !== null && Math.abs(r.costUsd - want) <= 1e-6, `request ${req.n}: ledger cost ${r.costUsd}, published price gives ${want}`);
    assert.equal(r.estimated, undefined, `request ${req.n} is marked estimated`);
  }
  return mine;
}
