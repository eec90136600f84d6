// Build and run only the given unit test files (for a fast edit-test loop):
//   node scripts/test-one.mjs test/unit/pricing.test.ts [more.test.ts ...] [--test-name-pattern=regex]
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const files = process.argv.slice(2).filter(a => !a.startsWith('--'));
const nodeFlags = process.argv.slice(2).filter(a => a.startsWith('--'));
if (!files.length) { console.error('usage: node scripts/test-one.mjs <test.ts ...>'); process.exit(2); }
const outdir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-test-'));
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
await esbuild.build({
  entryPoints: files, outbase: '.', outdir, bundle: true, packages: 'external', external: ['vscode'],
  platform: 'node', format: 'cjs', target: 'node22', sourcemap: 'inline', logLevel: 'warning',
  define: { SWITCHYARD_VERSION: JSON.stringify(version) },
  nodePaths: [path.resolve('node_modules')],
});
const outs = files.map(f => path.join(outdir, f.replace(/\.ts$/, '.js')));
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...nodeFlags, ...outs], {
  stdio: 'inherit', env: { ...process.env, SWITCHYARD_TEST: '1', NODE_PATH: path.resolve('node_modules') },
});
process.exit(r.status ?? 1);
