// The admin endpoint and the CLI let a test in another process configure and inspect the upstream.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import OpenAI from 'openai';
import { parseCliArgs } from '../upstream/cliArgs';
import type { RecordedRequest } from '../upstream/server';
import { clientFor, upstreamFor } from '../upstream/testkit';

async function admin(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/_admin/config`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

test('POST /_admin/config sets scripts, faults, tier and pacing; GET /_admin/requests lists what came in', async t => {
  const up = await upstreamFor(t);
  const base = `http://127.0.0.1:${up.port}`;
  const client = clientFor(up);
  const res = await admin(base, {
    scripts: { hi: { steps: [{ text: 'hi {{task}}' }] } },
    faults: [{ match: { nth: 1 }, status: 500 }],
    servedTier: 'flex',
    eventDelayMs: 0,
  });
  assert.equal(res.status, 200);
  await assert.rejects(client.responses.create({ model: 'gpt-5', input: '[script:hi] you' }), (e: unknown) => e instanceof OpenAI.InternalServerError);
  const r = await client.responses.create({ model: 'gpt-5', input: '[script:hi] you' });
  assert.equal(r.output_text, 'hi you');
  assert.equal(r.service_tier, 'flex');

  const listed = (await (await fetch(`${base}/_admin/requests`)).json()) as RecordedRequest[];
  assert.deepEqual(listed.map(q => [q.n, q.path, q.status, q.script]), [[1, '/v1/responses', 500, 'hi'], [2, '/v1/responses', 200, 'hi']]);
  assert.equal(listed[1]!.headers.authorization, 'Bearer sk-test');
  assert.deepEqual(listed[1]!.usage, up.requests[1]!.usage);

  assert.equal((await admin(base, { servedTier: null, clearRequests: true, resetCache: true })).status, 200);
  assert.equal(up.requests.length, 0);
  assert.equal((await client.responses.create({ model: 'gpt-5', input: 'x', service_tier: 'priority' })).service_tier, 'priority');
  assert.equal(up.requests[0]!.n, 3, 'request numbers keep counting after a clear');
});

test('a bad admin config is refused with the path of the bad field, and changes nothing', async t => {
  const up = await upstreamFor(t);
  const base = `http://127.0.0.1:${up.port}`;
  const cases: [unknown, RegExp][] = [
    [{ faults: [{ status: 200 }] }, /config\.faults\[0\]\.status/],
    [{ scripts: { s: { steps: [{ calls: [{ arguments: {} }] }] } } }, /config\.scripts\.s\.steps\[0\]\.calls\[0\]\.name/],
    [{ eventDelay: 5 }, /config\.eventDelay: unknown setting/],
  ];
  for (const [body, message] of cases) {
    const res = await admin(base, body);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, message);
  }
  assert.equal((await fetch(`${base}/_admin/nothing`)).status, 404);
  assert.equal(up.requests.length, 0, 'admin calls are not recorded');
});

test('CLI arguments are validated', () => {
  assert.deepEqual(parseCliArgs(['--port', '8123', '--event-delay-ms', '5', '--chat-only']), { port: 8123, eventDelayMs: 5, chatOnly: true });
  assert.throws(() => parseCliArgs(['--port']), /--port needs a value/);
  assert.throws(() => parseCliArgs(['--port', 'x']), /expected an integer/);
  assert.throws(() => parseCliArgs(['--bogus']), /unknown argument: --bogus/);
  assert.deepEqual(parseCliArgs(['--rate-limit', '30,100000,2000']), { rateLimit: { requests: 30, tokens: 100_000, windowMs: 2000 } });
  assert.deepEqual(parseCliArgs(['--rate-limit', '30,100000']), { rateLimit: { requests: 30, tokens: 100_000 } });
  assert.throws(() => parseCliArgs(['--rate-limit', '30']), /expected requests,tokens/);
});

test('the CLI starts a server in its own process, announces its URL, and stops on SIGTERM', async t => {
  const source = path.resolve('test/upstream/cli.ts');
  assert.ok(existsSync(source), `run the tests from the repository root (${source} not found)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-upstream-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const outfile = path.join(dir, 'cli.js');
  await esbuild.build({ entryPoints: [source], outfile, bundle: true, packages: 'external', platform: 'node', format: 'cjs', target: 'node22', logLevel: 'silent' });
  const scripts = path.join(dir, 'scripts.json');
  writeFileSync(scripts, JSON.stringify({ hello: { steps: [{ text: 'hello from the CLI' }] } }));

  const child = spawn(process.execPath, [outfile, '--port', '0', '--scripts', scripts, '--event-delay-ms', '1'], {
    cwd: path.resolve('.'), stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`cli exited with ${code} before listening`); }),
  ])) as [string];
  const m = /^test-upstream listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)$/.exec(line);
  assert.ok(m, `unexpected first line: ${line}`);

  const client = new OpenAI({ apiKey: 'sk-cli', baseURL: m[1], maxRetries: 0 });
  assert.equal((await client.responses.create({ model: 'gpt-5', input: '[script:hello]' })).output_text, 'hello from the CLI');
  const listed = (await (await fetch(`http://127.0.0.1:${m[2]}/_admin/requests`)).json()) as RecordedRequest[];
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.headers.authorization, 'Bearer sk-cli');

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});

test('the CLI exits with status 2 on bad arguments', async () => {
  const source = path.resolve('test/upstream/cli.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-upstream-cli-'));
  try {
    const outfile = path.join(dir, 'cli.js');
    await esbuild.build({ entryPoints: [source], outfile, bundle: true, packages: 'external', platform: 'node', format: 'cjs', logLevel: 'silent' });
    const child = spawn(process.execPath, [outfile, '--scripts', path.join(dir, 'missing.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d; });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2);
    assert.match(stderr, /--scripts .*missing\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('recordLimit keeps only the newest records, numbered as they came', async t => {
  const up = await upstreamFor(t, { recordLimit: 2 });
  const client = clientFor(up);
  for (let i = 0; i < 4; i++) await client.responses.create({ model: 'gpt-5', input: `x${i}` });
  assert.deepEqual(up.requests.map(r => r.n), [3, 4]);
  assert.deepEqual(up.requests.map(r => r.body.input), ['x2', 'x3']);
});
