// `npm run bench`: runs each benchmark (compiled to out/bench/*.js by the build), prints every figure
// next to its target, and rewrites BENCHMARKS.md with the results, the method and the machine.
//   node bench/run.mjs              all
//   node bench/run.mjs cache ledger only these (file names under bench/)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(ROOT);

// Figures are only comparable on the pinned Node (24, as `npm run bench` puts it first on PATH); a bare
// `node bench/run.mjs` on an older system Node re-runs itself with the pinned one.
if (Number(process.versions.node.split('.')[0]) < 24) {
  const pinned = path.join(ROOT, 'node_modules/.bin/node');
  if (!existsSync(pinned)) {
    console.error(`Node ${process.version} is too old for the benchmarks; run \`npm ci\` first, then \`npm run bench\`.`);
    process.exit(1);
  }
  const again = spawnSync(pinned, [path.join(ROOT, 'bench/run.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}
const ORDER = ['sizes', 'ledger', 'cache', 'guard', 'gateway', 'sandbox', 'worktrees', 'overhead', 'fleet', 'rateLimits', 'extensionHost'];
const wanted = process.argv.slice(2);
const names = (wanted.length ? wanted : ORDER).filter(n => ORDER.includes(n));

if (!existsSync('out/bench') || process.env.BENCH_NO_BUILD !== '1') {
  const b = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

// The extension-host benchmark runs a real VS Code: install it (once) as the test tiers do.
if (names.includes('extensionHost')) {
  const setup = spawnSync(process.execPath, ['test/vscode/setup.mjs'], { stdio: 'inherit' });
  if (setup.status !== 0) process.exit(1);
}

/** dist/ as the VSIX ships it (minified, no source maps), or back to the development build. */
function buildDist(production) {
  const b = spawnSync(process.execPath, ['esbuild.mjs', production ? '--production' : '--no-tests'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}

const results = [];
for (const name of names) {
  const file = path.join(ROOT, 'out/bench', `${name}.js`);
  if (!existsSync(file)) {
    console.log(`-- ${name}: not built (${file})`);
    continue;
  }
  console.log(`== ${name}`);
  // The editor benchmark measures the extension and agent host the VSIX ships (the sizes benchmark leaves a
  // development build behind it).
  if (name === 'extensionHost') buildDist(true);
  const t0 = Date.now();
  // Each benchmark in its own process: no JIT warm-up or heap left over from another one.
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', `require(${JSON.stringify(file)}).default().then(r => process.stdout.write('\\n@@RESULT@@' + JSON.stringify(r)), e => { console.error(e); process.exit(1); })`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024,
  });
  if (name === 'extensionHost') buildDist(false);
  const marker = r.stdout.lastIndexOf('@@RESULT@@');
  if (r.status !== 0 || marker < 0) {
    console.log(r.stdout);
    results.push({ title: name, method: 'failed to run', figures: [], extra: `The benchmark exited with status ${r.status}.` });
    continue;
  }
  process.stdout.write(r.stdout.slice(0, marker));
  const result = JSON.parse(r.stdout.slice(marker + '@@RESULT@@'.length));
  result.seconds = (Date.now() - t0) / 1000;
  results.push(result);
  for (const f of result.figures) {
    const mark = f.ok === undefined ? '  ' : f.ok ? 'ok' : '!!';
    console.log(`  ${mark} ${f.name}: ${fmt(f.value)} ${f.unit}${f.target ? `   (target ${f.target})` : ''}`);
  }
}

function fmt(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const a = Math.abs(v);
  return a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 10 ? v.toFixed(1) : a >= 0.1 ? v.toFixed(2) : v.toPrecision(2);
}

function machine() {
  const cpus = os.cpus();
  let git = '';
  try { git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  return `${cpus.length} × ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}${git ? `, commit ${git}` : ''}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

// BENCHMARKS.md: sections between the markers are rewritten; the text around them is kept.
const doc = existsSync('BENCHMARKS.md') ? readFileSync('BENCHMARKS.md', 'utf8') : '# Benchmarks\n\n<!-- results -->\n<!-- /results -->\n';
const sections = new Map();
const prev = /<!-- results -->([\s\S]*)<!-- \/results -->/.exec(doc)?.[1] ?? '';
for (const m of prev.matchAll(/<!-- bench:(\w+) -->([\s\S]*?)<!-- \/bench:\1 -->/g)) sections.set(m[1], m[2]);
for (const [i, name] of names.entries()) {
  const r = results[i];
  if (!r) continue;
  const rows = r.figures.map(f => `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.target ?? '—'} | ${f.ok === undefined ? '' : f.ok ? 'met' : '**missed**'} |`);
  const body = [
    `\n## ${r.title}\n`,
    `_Run on ${machine()}; ${r.seconds?.toFixed(0) ?? '?'} s._\n`,
    r.method,
    '',
    ...(rows.length ? ['| figure | value | target | |', '| --- | ---: | --- | --- |', ...rows, ''] : []),
    ...(r.extra ? [r.extra, ''] : []),
  ].join('\n');
  sections.set(name, body);
}
const body = ORDER.filter(n => sections.has(n)).map(n => `<!-- bench:${n} -->${sections.get(n)}<!-- /bench:${n} -->`).join('\n');
writeFileSync('BENCHMARKS.md', doc.replace(/<!-- results -->[\s\S]*<!-- \/results -->/, `<!-- results -->\n${body}\n<!-- /results -->`));
console.log('BENCHMARKS.md updated');
const missed = results.flatMap(r => r.figures.filter(f => f.ok === false).map(f => `${r.title}: ${f.name}`));
if (missed.length) console.log(`targets missed:\n  ${missed.join('\n  ')}`);
