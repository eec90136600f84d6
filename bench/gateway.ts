// What the metering gateway costs an agent: added latency per request and CPU per streamed event, with
// the `openai` SDK as the client, through the gateway's HTTP face (as external agents use it) against
// the same calls made straight to the test upstream. Everything runs in one process, so CPU figures
// include the upstream and the client in both columns; the difference is the gateway's.
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { startTestUpstream } from '../test/upstream/server';
import { newGatewayFor } from './support';
import { atMost, median, percentile, type BenchResult } from './types';

const REQUESTS = 200;
const STREAMS = 50;
const STREAM_WORDS = 196;
const ROUNDS = 3;
const MODEL = 'gpt-5.4';
// Targets: a model takes hundreds of milliseconds to its first token, so 10 ms (three synced file writes
// for the budget reservation, the ledger record and the release, plus one loopback hop) stays in the
// noise; 50 µs per event is half a core for 100 sessions streaming 100 events a second each.
const MAX_ADDED_MS = 10;
const MAX_ADDED_CPU_US = 50;

export interface GatewayBench {
  perRequestOverheadMs: { direct: number; viaGateway: number; medianDeltaMs: number };
  perEventCpuUs: { direct: number; viaGateway: number };
}

interface Detail extends GatewayBench {
  p95DeltaMs: number;
  eventsPerStream: number;
}

async function measure(): Promise<Detail> {
  const up = await startTestUpstream({
    scripts: {
      ping: { steps: [{ text: 'pong' }] },
      story: { steps: [{ text: Array.from({ length: STREAM_WORDS }, (_, i) => `word${i}`).join(' ') }] },
    },
    recordLimit: 100,
  });
  const gw = await newGatewayFor(up.url, MODEL);
  try {
    const token = gw.gateway.register(gw.link);
    await gw.gateway.listen();
    const direct = new OpenAI({ apiKey: 'sk-user-key', baseURL: up.url, maxRetries: 0 });
    const via = new OpenAI({ apiKey: token, baseURL: gw.gateway.baseURL, maxRetries: 0 });

    const ping = async (client: OpenAI): Promise<number> => {
      const t0 = performance.now();
      const r = await client.responses.create({ model: MODEL, input: '[script:ping] ping', store: false });
      if (r.status !== 'completed') throw new Error(`unexpected response status ${r.status}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 20; i++) {
      await ping(direct);
      await ping(via);
    }
    // Interleaved pairs, alternating which goes first, so drift (GC, the ledger growing) hits both alike.
    const d: number[] = [];
    const v: number[] = [];
    const deltas: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      let a: number;
      let b: number;
      if (i % 2 === 0) {
        a = await ping(direct);
        b = await ping(via);
      } else {
        b = await ping(via);
        a = await ping(direct);
      }
      d.push(a);
      v.push(b);
      deltas.push(b - a);
    }

    const consume = async (client: OpenAI): Promise<number> => {
      let events = 0;
      const stream = await client.responses.create({ model: MODEL, input: '[script:story] tell', store: false, stream: true });
      for await (const event of stream) {
        events++;
        if (event.type === 'response.failed' || event.type === 'error') throw new Error(`stream failed: ${event.type}`);
      }
      return events;
    };
    const cpuPerEvent = async (client: OpenAI): Promise<{ us: number; events: number }> => {
      const before = process.cpuUsage();
      let events = 0;
      for (let i = 0; i < STREAMS; i++) events += await consume(client);
      const used = process.cpuUsage(before);
      return { us: (used.user + used.system) / events, events: events / STREAMS };
    };
    for (let i = 0; i < 5; i++) await Promise.all([consume(direct), consume(via)]);
    const cpuDirect: number[] = [];
    const cpuVia: number[] = [];
    let eventsPerStream = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? [direct, via] : [via, direct];
      for (const client of order) {
        const m = await cpuPerEvent(client);
        (client === direct ? cpuDirect : cpuVia).push(m.us);
        eventsPerStream = m.events;
      }
    }
    await gw.gateway.drain(gw.link.id);
    return {
      perRequestOverheadMs: { direct: median(d), viaGateway: median(v), medianDeltaMs: median(deltas) },
      perEventCpuUs: { direct: median(cpuDirect), viaGateway: median(cpuVia) },
      p95DeltaMs: percentile(deltas, 95),
      eventsPerStream,
    };
  } finally {
    await gw.close();
    await up.close();
  }
}

export async function benchGateway(): Promise<GatewayBench> {
  const { perRequestOverheadMs, perEventCpuUs } = await measure();
  return { perRequestOverheadMs, perEventCpuUs };
}

export default async function gateway(): Promise<BenchResult> {
  const r = await measure();
  const cpuDelta = r.perEventCpuUs.viaGateway - r.perEventCpuUs.direct;
  return {
    title: 'Metering gateway: overhead per request and per streamed event',
    method:
      `The \`openai\` SDK (maxRetries 0) calls the test upstream directly and through the gateway's HTTP endpoint on ` +
      `127.0.0.1 with a session token, in one process. Latency: ${REQUESTS} non-streaming Responses requests each way, ` +
      'interleaved in pairs; the overhead is the median of the per-pair differences. Through the gateway every request is ' +
      'authorised, given its tier and cache key, reserved against the budgets (a locked reservation file), forwarded, and ' +
      'appended to the ledger before the next one reserves. CPU: process.cpuUsage() around consuming ' +
      `${STREAMS} streamed responses of ~${r.eventsPerStream} events each way, median of ${ROUNDS} rounds, divided by the ` +
      'events the client read; both columns include the upstream server and the SDK, so the difference is the gateway.',
    figures: [
      { name: 'request latency, direct (median)', value: r.perRequestOverheadMs.direct, unit: 'ms' },
      { name: 'request latency, via gateway (median)', value: r.perRequestOverheadMs.viaGateway, unit: 'ms' },
      { name: 'added latency per request (median)', value: r.perRequestOverheadMs.medianDeltaMs, unit: 'ms', ...atMost(r.perRequestOverheadMs.medianDeltaMs, MAX_ADDED_MS, 'ms') },
      { name: 'added latency per request (p95)', value: r.p95DeltaMs, unit: 'ms' },
      { name: 'CPU per streamed event, direct', value: r.perEventCpuUs.direct, unit: 'µs' },
      { name: 'CPU per streamed event, via gateway', value: r.perEventCpuUs.viaGateway, unit: 'µs' },
      { name: 'CPU added per streamed event', value: cpuDelta, unit: 'µs', ...atMost(cpuDelta, MAX_ADDED_CPU_US, 'µs') },
    ],
  };
}
