// A real VS Code (code-server: Code-OSS with a Node extension host) and a headless Chromium driving it,
// isolated in a per-run folder. Used by the integration runner and the end-to-end tests.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, NODE24, codeServerEntry } from './paths.mjs';

export const t0 = Date.now();
export const since = (t = t0) => `${((Date.now() - t) / 1000).toFixed(1)}s`;
export const log = (...a) => console.log(`[${since()}]`, ...a);

/** A fresh profile: quiet, offline workbench settings plus the caller's own. */
export function makeProfile(runDir, settings = {}) {
  rmSync(runDir, { recursive: true, force: true });
  const userData = path.join(runDir, 'user-data');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'chat.disableAIFeatures': true,
    'chat.commandCenter.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'git.enabled': false,
    'npm.autoDetect': 'off',
    'workbench.reduceMotion': 'on',
    'window.commandCenter': false,
    ...settings,
  }, null, 2));
  return { userData, extensions: path.join(runDir, 'extensions') };
}

/** Keeps everything VS Code, code-server and Chromium write to $HOME inside the run folder. */
export function isolatedEnv(runDir, extra = {}) {
  const home = path.join(runDir, 'home');
  mkdirSync(home, { recursive: true });
  return {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(runDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(runDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(runDir, 'xdg-cache'),
    // No extension marketplace: avoids a lookup on startup.
    EXTENSIONS_GALLERY: '{}',
    ...extra,
  };
}

export function codeServerCli(runDir, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(NODE24, [codeServerEntry(), '--user-data-dir', path.join(runDir, 'user-data'),
      '--extensions-dir', path.join(runDir, 'extensions'), ...args], { env: isolatedEnv(runDir, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', d => (out += d));
    p.stderr.on('data', d => (out += d));
    p.on('exit', code => (code === 0 ? resolve(out) : reject(new Error(`code-server ${args.join(' ')} exited ${code}\n${out}`))));
  });
}

/**
 * Starts code-server; resolves once its HTTP server listens. `env` reaches the extension host. Workspace
 * trust is off (every folder trusted) unless `workspaceTrust`: then the folder asks, as in a user's VS Code.
 */
export async function startCodeServer(runDir, { extraArgs = [], folder, env = {}, workspaceTrust = false } = {}) {
  const logFile = createWriteStream(path.join(runDir, 'code-server.log'));
  const args = [codeServerEntry(),
    '--bind-addr', '127.0.0.1:0', '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override', '--ignore-last-opened',
    '--user-data-dir', path.join(runDir, 'user-data'), '--extensions-dir', path.join(runDir, 'extensions'),
    ...extraArgs];
  if (folder) args.push(folder);
  const started = Date.now();
  const proc = spawn(NODE24, args, { env: isolatedEnv(runDir, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  proc.stdout.pipe(logFile);
  proc.stderr.pipe(logFile);
  // Port 0: the kernel picks a free one as code-server binds it, and the log names it. A port found free
  // beforehand could be taken by another process before code-server binds it.
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('code-server did not start within 60 s')), 60000);
    let buf = '';
    proc.stdout.on('data', d => {
      buf += d;
      const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(buf);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', code => { clearTimeout(timer); reject(new Error(`code-server exited early (${code}); see ${runDir}/code-server.log`)); });
  });
  const stop = () => { try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ } };
  process.on('exit', stop);
  return { url: `http://127.0.0.1:${port}/`, port, proc, stop, started, listeningMs: Date.now() - started };
}

export async function launchBrowser(runDir, viewport = { width: 1400, height: 900 }) {
  return chromium.launchPersistentContext(path.join(runDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    env: isolatedEnv(runDir),
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
  });
}

/**
 * Runs an extension test suite (a module exporting run()) inside code-server's real extension host, the
 * way VS Code's own browser integration tests do: the workbench URL's `payload` names the extension under
 * development and the suite, `enable-smoke-test-driver` makes a built server honour it, and the workbench
 * calls window.codeAutomationExit(code) when the suite ends. Resolves to that exit code.
 */
export async function runExtensionTests({ runDir, extensionDevelopmentPath, extensionTestsPath, workspace,
  disableOtherExtensions = false, timeoutMs = 300000, env = {}, settings = {} }) {
  makeProfile(runDir, settings);
  const folder = path.resolve(workspace ?? path.join(runDir, 'workspace'));
  // A .code-workspace file opens a window of several folders (code-server's `workspace` query).
  const multiRoot = folder.endsWith('.code-workspace');
  if (!multiRoot) mkdirSync(folder, { recursive: true });
  const devPaths = [extensionDevelopmentPath].flat().map(p => path.resolve(p));
  const extra = ['--vscode-option', 'enable-smoke-test-driver'];
  if (disableOtherExtensions) extra.push('--vscode-option', 'disable-extensions');
  const cs = await startCodeServer(runDir, { extraArgs: extra, env });
  log(`code-server listening at ${cs.url} after ${(cs.listeningMs / 1000).toFixed(1)}s`);
  const ctx = await launchBrowser(runDir);
  try {
    const page = ctx.pages()[0] ?? await ctx.newPage();
    let finish;
    const done = new Promise(resolve => (finish = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      (console[type] || console.log)(...(Array.isArray(args) ? args : [args]));
    });
    await page.exposeFunction('codeAutomationExit', code => finish(Number(code)));
    page.on('pageerror', e => console.error('pageerror:', e.message));
    page.on('crash', () => finish(3));
    const remote = p => `vscode-remote://127.0.0.1:${cs.port}${p}`;
    const payload = JSON.stringify([
      ...devPaths.map(p => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(path.resolve(extensionTestsPath))],
      ['skipWelcome', 'true'],
    ]);
    await page.goto(`${cs.url}?${multiRoot ? 'workspace' : 'folder'}=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`);
    const timer = setTimeout(() => { console.error(`extension tests did not finish within ${timeoutMs / 1000}s (logs: ${runDir})`); finish(2); }, timeoutMs);
    const code = await done;
    clearTimeout(timer);
    log(`extension host test run exited with code ${code}`);
    return code;
  } finally {
    await ctx.close().catch(() => {});
    cs.stop();
  }
}
