// `npm test`: every tier, in order, each ending with a plain "N passed, N failed" line.
//   node test/run-all.mjs                 all tiers
//   node test/run-all.mjs unit e2e        only these tiers (static always runs first)
// A failure anywhere makes the exit status non-zero.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(ROOT);
const ALL = ['unit', 'integration', 'e2e'];
const wanted = process.argv.slice(2).filter(a => ALL.includes(a));
const tiers = wanted.length ? wanted : ALL;
const results = [];
const t0 = Date.now();

function run(cmd, args, opts = {}) {
  return new Promise(resolve => {
    const p = spawn(cmd, args, { stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', env: { ...process.env, ...opts.env } });
    let out = '';
    if (opts.capture) p.stdout.on('data', d => { out += d; process.stdout.write(d); });
    p.on('exit', code => resolve({ code: code ?? 1, out }));
  });
}

function files(dir, suffix) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p, suffix));
    else if (p.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

function summary(tier, passed, failed) {
  console.log(`\n${tier}: ${passed} passed, ${failed} failed\n`);
  results.push({ tier, passed, failed });
}

// Static: build, type-check, manifest. Everything else depends on it.
{
  console.log('== static: build, type-check, manifest check');
  const steps = [
    ['build', process.execPath, ['esbuild.mjs']],
    ['type-check', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']],
    ['type-check webview', process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'src/webview']],
    ['manifest', process.execPath, ['scripts/check-manifest.mjs']],
  ];
  let passed = 0, failed = 0;
  for (const [name, cmd, args] of steps) {
    const { code } = await run(cmd, args);
    if (code === 0) passed++; else { failed++; console.error(`static step failed: ${name}`); }
  }
  summary('static', passed, failed);
  if (failed) finish();
}

if (tiers.includes('unit')) {
  console.log('== unit: node --test (host, protocol, CLI; no VS Code)');
  const tests = files('out/test/unit', '.test.js');
  const { code, out } = await run(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...tests], {
    capture: true, env: { SWITCHYARD_TEST: '1' },
  });
  const pass = Number(/^ℹ pass (\d+)/m.exec(out)?.[1] ?? 0);
  const fail = Number(/^ℹ fail (\d+)/m.exec(out)?.[1] ?? (code ? 1 : 0));
  summary('unit', pass, code !== 0 && fail === 0 ? 1 : fail);
}

if (tiers.includes('integration') || tiers.includes('e2e')) {
  const { code } = await run(process.execPath, ['test/vscode/setup.mjs']);
  if (code !== 0) { summary('vscode-setup', 0, 1); finish(); }
}

if (tiers.includes('integration')) {
  console.log('== integration: mocha inside a real VS Code extension host');
  const { code, out } = await run(process.execPath, ['test/vscode/runIntegration.mjs'], { capture: true });
  // One line per window (a folder, then several folders); a window that never reported counts as a failure.
  const windows = [...out.matchAll(/integration-suite: (\d+) passed, (\d+) failed/g)];
  const passed = windows.reduce((n, m) => n + Number(m[1]), 0);
  const failed = windows.reduce((n, m) => n + Number(m[2]), 0);
  summary('integration', passed, windows.length ? failed + (code && failed === 0 ? 1 : 0) : 1);
}

if (tiers.includes('e2e')) {
  console.log('== e2e: packaged VSIX in a real VS Code workbench, driven by Chromium');
  const pkg = await run('npm', ['run', '--silent', 'package']);
  if (pkg.code !== 0) summary('e2e', 0, 1);
  else {
    const { code, out } = await run(process.execPath, ['test/e2e/run.mjs'], { capture: true });
    const m = /e2e-suite: (\d+) passed, (\d+) failed/.exec(out);
    summary('e2e', Number(m?.[1] ?? 0), m ? Number(m[2]) + (code && m[2] === '0' ? 1 : 0) : 1);
  }
}

finish();

function finish() {
  console.log('== summary');
  for (const r of results) console.log(`${r.tier.padEnd(12)} ${r.passed} passed, ${r.failed} failed`);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s: ${failed ? 'FAILED' : 'ok'}`);
  process.exit(failed ? 1 : 0);
}
