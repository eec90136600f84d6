// What users download: the VSIX against its 2 MB budget, each bundle of a production build, and the
// VSIX's file list (so a stray file or an unminified bundle shows up in review).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { atMost, type BenchResult, type Figure } from './types';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLES = ['extension.js', 'host.js', 'cli.js', 'webview.js', 'webview.css'] as const;
const VSIX_LIMIT_MB = 2;
const MB = 1024 * 1024;

interface PackageJson {
  version: string;
  scripts: Record<string, string>;
}

class BenchSetupError extends Error {
  override readonly name = 'BenchSetupError';
}

/** Runs a command in the repository with its node_modules/.bin (Node 24, vsce, tsc) first on PATH. */
function run(cmd: string, args: string[]): SpawnSyncReturns<string> {
  const env = { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}` };
  return spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * MB });
}

function tail(r: SpawnSyncReturns<string>): string {
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
}

/** Newest modification time of anything that goes into the VSIX. */
function newestSource(): number {
  let newest = statSync(path.join(ROOT, 'package.json')).mtimeMs;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const dir of ['src', 'media']) if (existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  for (const f of ['README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'esbuild.mjs']) if (existsSync(path.join(ROOT, f))) newest = Math.max(newest, statSync(path.join(ROOT, f)).mtimeMs);
  return newest;
}

/**
 * `npm run package` (typecheck, production build, vsce). While colleagues edit, the typecheck can fail
 * on files unrelated to what ships; then the script's remaining steps run as they are, and it is said.
 */
function packageVsix(pkg: PackageJson): string[] {
  const notes: string[] = [];
  const full = run('npm', ['run', '--silent', 'package']);
  if (full.status === 0) return notes;
  const steps = (pkg.scripts.package ?? '').split('&&').map(s => s.trim());
  if (!/^npm run typecheck$/.test(steps[0] ?? '') || !/error TS\d+/.test(`${full.stdout}${full.stderr}`)) {
    throw new BenchSetupError(`npm run package failed:\n${tail(full)}`);
  }
  const typeErrors = `${full.stdout}${full.stderr}`.split('\n').filter(l => /error TS\d+/.test(l));
  notes.push(`\`npm run package\` stopped at its typecheck (${typeErrors.length} error(s), e.g. \`${typeErrors[0]?.trim()}\`); the VSIX was made by the script's remaining steps (\`${steps.slice(1).join(' && ')}\`).`);
  const rest = run('sh', ['-c', steps.slice(1).join(' && ')]);
  if (rest.status !== 0) throw new BenchSetupError(`packaging without the typecheck failed too:\n${tail(rest)}`);
  return notes;
}

interface ZipEntry {
  bytes: number;
  compressed: number;
  name: string;
}

function vsixEntries(vsix: string): ZipEntry[] {
  const r = spawnSync('unzip', ['-v', vsix], { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchSetupError(`unzip -v ${vsix} failed: ${tail(r)}`);
  const entries: ZipEntry[] = [];
  for (const line of r.stdout.split('\n')) {
    // Length  Method  Size  Cmpr  Date  Time  CRC-32  Name
    const m = /^\s*(\d+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+\s+[0-9a-f]{8}\s+(.+)$/.exec(line);
    if (m && !m[3]!.endsWith('/')) entries.push({ bytes: Number(m[1]), compressed: Number(m[2]), name: m[3]!.trim() });
  }
  return entries;
}

const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;

export default async function sizes(): Promise<BenchResult> {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const vsix = path.join(ROOT, `switchyard-${pkg.version}.vsix`);
  // A development build leaves source maps; it is restored afterwards so the checkout is left as found.
  const wasDevBuild = existsSync(path.join(ROOT, 'dist', 'host.js.map'));
  const notes: string[] = [];
  let packaged = false;
  // Set once dist/ holds a production build and the VSIX matches the current sources.
  let built = false;
  try {
    const stale = existsSync(vsix) && statSync(vsix).mtimeMs < newestSource();
    if (!existsSync(vsix) || stale) {
      if (stale) notes.push(`The existing ${path.basename(vsix)} was older than the sources, so it was rebuilt.`);
      notes.push(...packageVsix(pkg));
      packaged = true;
    } else {
      const b = run(process.execPath, ['esbuild.mjs', '--production']);
      if (b.status !== 0) throw new BenchSetupError(`production build failed:\n${tail(b)}`);
      notes.push(`Measured the existing ${path.basename(vsix)} (newer than every source file).`);
    }
    built = true;
  } catch (e) {
    if (!(e instanceof BenchSetupError)) throw e;
    notes.push(`Not packaged: ${e.message}`);
  }

  const figures: Figure[] = [];
  const rows: string[] = ['| bundle (production) | bytes | gzip |', '| --- | ---: | ---: |'];
  for (const name of built ? BUNDLES : []) {
    const file = path.join(ROOT, 'dist', name);
    if (!existsSync(file)) {
      notes.push(`dist/${name} is missing.`);
      continue;
    }
    const bytes = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    figures.push({ name: `dist/${name}`, value: kb(bytes), unit: 'KB' });
    rows.push(`| dist/${name} | ${bytes.toLocaleString('en-US')} | ${gz.toLocaleString('en-US')} |`);
  }

  let listing = '';
  if (built && existsSync(vsix)) {
    const size = statSync(vsix).size / MB;
    figures.unshift({ name: `VSIX (${path.basename(vsix)})`, value: Math.round(size * 1000) / 1000, unit: 'MB', ...atMost(size, VSIX_LIMIT_MB, 'MB') });
    const entries = vsixEntries(vsix).sort((a, b) => b.compressed - a.compressed);
    const total = entries.reduce((s, e) => s + e.compressed, 0);
    const share = (e: ZipEntry) => `${((100 * e.compressed) / total).toFixed(1)}%`;
    const seccomp = entries.filter(e => e.name.includes('/vendor/seccomp/')).reduce((s, e) => s + e.compressed, 0);
    listing = [
      `VSIX contents (\`unzip -v\`, ${entries.length} files; largest share of the compressed payload first):`,
      '',
      '| file | bytes | compressed | share |',
      '| --- | ---: | ---: | ---: |',
      ...entries.map(e => `| ${e.name} | ${e.bytes.toLocaleString('en-US')} | ${e.compressed.toLocaleString('en-US')} | ${share(e)} |`),
      '',
      seccomp ? `The sandbox runtime's seccomp helpers for both x64 and arm64 are ${((100 * seccomp) / total).toFixed(0)}% of the compressed payload; platform-specific VSIXs (\`vsce package --target linux-x64\`, …) would each carry one.` : '',
    ].join('\n');
  } else {
    figures.unshift({ name: 'VSIX (not packaged)', value: 0, unit: 'MB', target: `<= ${VSIX_LIMIT_MB} MB`, ok: false });
  }

  if (wasDevBuild) {
    const b = run(process.execPath, ['esbuild.mjs', '--no-tests']);
    if (b.status !== 0) notes.push(`Restoring the development build of dist/ failed:\n${tail(b)}`);
  }

  return {
    title: 'VSIX and bundle sizes',
    method: [
      `The VSIX is \`switchyard-${pkg.version}.vsix\` as \`npm run package\` makes it (${packaged ? 'packaged by this run' : 'an existing, up-to-date one'}): typecheck, \`node esbuild.mjs --production\` (minified, no source maps), then \`vsce package --no-dependencies\` with \`.vscodeignore\` keeping only what runs.`,
      'Bundle sizes are those of that production build in dist/, with their gzip size for reference (the VSIX is a zip, so gzip is close to what each costs in the download).',
      'Sizes are deterministic: no noise to average out.',
    ].join(' '),
    figures,
    extra: [...notes, '', rows.length > 2 ? rows.join('\n') : '', '', listing].join('\n').trim(),
  };
}
