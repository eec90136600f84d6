// One build for every bundle: the extension, the agent host, the CLI, the webview, and the tests.
//   node esbuild.mjs               development build (sourcemaps)
//   node esbuild.mjs --production  minified, no sourcemaps (what the VSIX ships)
//   node esbuild.mjs --watch       rebuild on change
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const skipTests = production || process.argv.includes('--no-tests');
/** Benchmark children built like dist/host.js (see below). */
const SHIPPED = 'out/shipped';
/** The sandbox library as dist/host.js bundles it, in a file of its own for the fleet benchmark's profile (see below). */
const PROFILED_SANDBOX_DIR = 'out/profiled/node_modules/@anthropic-ai/sandbox-runtime';

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const define = { SWITCHYARD_VERSION: JSON.stringify(version) };

const node = {
  define,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  minify: production,
  sourcemap: production ? false : 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // The openai SDK probes for optional peers; none is needed at run time. (zod is bundled: the
  // sandbox runtime needs it.)
  external: ['vscode', 'ws', 'undici', '@aws-sdk/*', '@smithy/*', 'google-auth-library'],
};

// The sandbox runtime is an ES module that finds its native helpers from import.meta.url; in a CommonJS
// bundle that is this file's own URL, and the helpers are copied next to it (dist/vendor/).
const importMetaUrl = 'var __switchyardImportMetaUrl = require("node:url").pathToFileURL(__filename).href;';
// Two of its modules start a process on every sandboxed command, each a fork of the whole host: utils/which.js
// (`which` through spawnSync, holding the event loop) and utils/ripgrep.js (a listing of the working folder
// for files to protect). Every bundle of the host replaces them with src/host/sandbox/which.ts and
// ripgrep.ts, which give the same answers without a process. The build fails if the library stops
// importing either module.
const LIBRARY = /[\\/]@anthropic-ai[\\/]sandbox-runtime[\\/]dist[\\/]/;
const IN_PROCESS = { 'which.js': 'src/host/sandbox/which.ts', 'ripgrep.js': 'src/host/sandbox/ripgrep.ts' };
const inProcessHelpers = {
  name: 'sandbox-in-process-helpers',
  setup(build) {
    const replaced = new Set();
    build.onStart(() => { replaced.clear(); });
    build.onResolve({ filter: /(^|\/)(which|ripgrep)\.js$/ }, args => {
      if (!LIBRARY.test(args.importer)) return undefined;
      const name = path.basename(args.path);
      replaced.add(name);
      return { path: path.resolve(IN_PROCESS[name]) };
    });
    build.onEnd(result => {
      if (result.errors.length) return;
      for (const [name, ours] of Object.entries(IN_PROCESS)) {
        if (!replaced.has(name)) result.errors.push({ text: `the sandbox library no longer imports utils/${name}: see ${ours}` });
      }
    });
  },
};
const hostLike = { define: { ...define, 'import.meta.url': '__switchyardImportMetaUrl' }, plugins: [inProcessHelpers] };

/** @type {esbuild.BuildOptions[]} */
const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, ...hostLike, entryPoints: { host: 'src/host/main.ts' }, outdir: 'dist', banner: { js: importMetaUrl } },
  {
    bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: production,
    sourcemap: production ? false : 'linked', logLevel: 'warning', legalComments: 'none',
    entryPoints: { webview: 'src/webview/main.ts' }, outdir: 'dist',
    loader: { '.css': 'css' },
  },
];

if (!skipTests) {
  const tests = [...walk('test'), ...walk('bench')].filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  // Tests and benchmarks are transpiled one file to one file, so they import the code under test
  // exactly as written; packages stay external and resolve from node_modules.
  builds.push({
    entryPoints: tests, outbase: '.', outdir: 'out', bundle: true, packages: 'external', define,
    external: ['vscode'], platform: 'node', format: 'cjs', target: 'node22', sourcemap: 'inline',
    logLevel: 'warning',
  });
  // The fleet benchmark's two children and the sandbox benchmark's, built as the VSIX's host is (bundled,
  // minified, no source map): their memory and CPU are the shipped code's, not the test build's source
  // text and maps, and the sandbox library is the bundled one, with the host's replacements in it.
  builds.push({
    ...node, ...hostLike, minify: true, sourcemap: false, banner: { js: importMetaUrl },
    entryPoints: { fleetHost: 'bench/fleet/hostChild.ts', fleetFloor: 'bench/fleet/sdkChild.ts', sandboxBench: 'bench/sandboxChild.ts' },
    outdir: SHIPPED,
  });
  // The fleet benchmark's profile needs names: its child is built as the tests are (packages external,
  // unminified), except the sandbox library, which is bundled as dist/host.js has it (with the in-process
  // helpers: the test build's library would start which and ripgrep on every command) into a file of its
  // own under a node_modules path, so the profile still tells its frames from ours.
  const sandboxBundle = path.resolve(PROFILED_SANDBOX_DIR, 'index.js');
  builds.push({
    ...node, ...hostLike, sourcemap: false, banner: { js: importMetaUrl },
    entryPoints: ['node_modules/@anthropic-ai/sandbox-runtime/dist/index.js'], outfile: sandboxBundle,
  });
  builds.push({
    entryPoints: { fleetHost: 'bench/fleet/hostChild.ts' }, outdir: 'out/profiled', bundle: true, packages: 'external', define,
    platform: 'node', format: 'cjs', target: 'node22', logLevel: 'warning',
    plugins: [{
      name: 'bundled-sandbox-library',
      setup(build) {
        build.onResolve({ filter: /^@anthropic-ai\/sandbox-runtime$/ }, () => ({ path: sandboxBundle, external: true }));
      },
    }],
  });
}

function walk(dir) {
  const out = [];
  let entries = [];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const VENDOR = ['seccomp/x64/apply-seccomp', 'seccomp/arm64/apply-seccomp', 'java-proxy-agent/srt-proxy-agent.jar'];

function copyAssets() {
  mkdirSync('dist', { recursive: true });
  // The CLI is the host bundle run another way: it ships once.
  writeFileSync('dist/cli.js', '#!/usr/bin/env node\n"use strict";\nrequire("./host.js").runCli();\n', { mode: 0o755 });
  const codicons = 'node_modules/@vscode/codicons/dist';
  cpSync(path.join(codicons, 'codicon.css'), 'dist/codicon.css');
  cpSync(path.join(codicons, 'codicon.ttf'), 'dist/codicon.ttf');
  for (const dir of skipTests ? ['dist'] : ['dist', SHIPPED, PROFILED_SANDBOX_DIR]) {
    for (const f of VENDOR) {
      mkdirSync(path.dirname(path.join(dir, 'vendor', f)), { recursive: true });
      cpSync(path.join('node_modules/@anthropic-ai/sandbox-runtime/vendor', f), path.join(dir, 'vendor', f));
    }
  }
}

copyAssets();
if (watch) {
  const contexts = await Promise.all(builds.map(b => esbuild.context(b)));
  await Promise.all(contexts.map(c => c.watch()));
  console.log('watching for changes…');
} else {
  const t0 = Date.now();
  await Promise.all(builds.map(b => esbuild.build(b)));
  console.log(`built ${builds.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
