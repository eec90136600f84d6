// Small helpers for tests that talk to the test upstream through the real `openai` SDK.
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import { startTestUpstream, type TestUpstream, type UpstreamOptions } from './server';

/** Starts an upstream that closes when the test ends. */
export async function upstreamFor(t: TestContext, opts: UpstreamOptions = {}): Promise<TestUpstream> {
  const upstream = await startTestUpstream(opts);
  t.after(() => upstream.close());
  return upstream;
}

export function clientFor(upstream: TestUpstream, opts: { apiKey?: string; maxRetries?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: opts.apiKey ?? 'sk-test', baseURL: upstream.url, maxRetries: opts.maxRetries ?? 0 });
}

export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

/** Iterates a stream, keeping what arrived before it failed. */
export async function collectUntilError<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error?: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items };
  } catch (error) {
    return { items, error };
  }
}

/** Plain ASCII text of exactly `bytes` bytes (the stand-in tokenizer counts 4 bytes per token). */
export function filler(bytes: number, seed = 'a'): string {
  const word = `${seed}bcdefg `;
  return word.repeat(Math.ceil(bytes / word.length)).slice(0, bytes);
}
