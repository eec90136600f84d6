// Installs what the real-VS-Code tiers need, from Debian's packages and the npm registry only, and skips
// whatever a previous run already installed. Nothing is downloaded from anywhere else.
//   - Debian: chromium + fonts (the browser that drives the workbench), libkrb5-dev (code-server's
//     native 'kerberos' module builds against it), bubblewrap/socat/ripgrep (the command sandbox).
//   - code-server (the real VS Code, Code-OSS) pinned, under the cache folder outside the clone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CACHE, CODE_SERVER_VERSION, NODE24_HOME, codeServerEntry } from './paths.mjs';

const t0 = Date.now();
const log = msg => console.log(`[setup ${((Date.now() - t0) / 1000).toFixed(0)}s] ${msg}`);

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
function dpkgHas(pkg) {
  return spawnSync('dpkg', ['-s', pkg], { stdio: 'ignore' }).status === 0;
}

// 1. Debian packages.
const missing = [];
if (!have('chromium')) missing.push('chromium', 'fonts-liberation');
if (!dpkgHas('libkrb5-dev')) missing.push('libkrb5-dev');
for (const [cmd, pkg] of [['bwrap', 'bubblewrap'], ['socat', 'socat'], ['rg', 'ripgrep'], ['git', 'git']]) {
  if (!have(cmd)) missing.push(pkg);
}
if (missing.length) {
  const root = process.getuid?.() === 0;
  const sudo = root ? [] : have('sudo') ? ['sudo', '-n'] : null;
  if (!sudo) {
    console.error(`Missing Debian packages: ${missing.join(' ')}. Install them with:\n  sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['apt-get', 'update', '-qq'], ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
    const r = spawnSync(sudo[0] ?? args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), { stdio: 'inherit', env });
    if (r.status !== 0) { console.error(`apt-get failed: ${args.join(' ')}`); process.exit(1); }
  }
}

// 2. Node 24 comes from the `node` devDependency; npm puts it first on PATH for every script.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(`The VS Code tiers need Node 24 (from the 'node' devDependency); running on ${process.version}. Run them through npm (npm test).`);
  process.exit(1);
}

// 3. code-server, pinned. Its postinstall checks the Node major of the npm that runs it, then builds native
//    modules with node-gyp against Node 24's headers (about 2 minutes on 2 cores).
const csDir = path.join(CACHE, 'code-server');
const installedVersion = (() => {
  try { return JSON.parse(readFileSync(path.join(csDir, 'node_modules/code-server/package.json'), 'utf8')).version; }
  catch { return undefined; }
})();
const nativeBuilt = existsSync(path.join(csDir, 'node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node'));
if (installedVersion !== CODE_SERVER_VERSION || !nativeBuilt) {
  const headers = nodeHeaders();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${csDir} (builds native modules, ~2 min)`);
  mkdirSync(csDir, { recursive: true });
  writeFileSync(path.join(csDir, 'package.json'), JSON.stringify({
    name: 'switchyard-code-server', private: true,
    dependencies: { 'code-server': CODE_SERVER_VERSION },
    allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true },
  }, null, 2));
  // Run npm itself on Node 24 (code-server's postinstall reads the Node version from npm's user agent).
  const [npm, ...npmArgs] = npmCommand();
  const r = spawnSync(npm, [...npmArgs, 'install', '--no-audit', '--no-fund', '--loglevel=error', '--foreground-scripts'], {
    cwd: csDir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024,
    env: { ...npmFreeEnv(), PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`, npm_config_nodedir: headers },
  });
  writeFileSync(path.join(CACHE, 'code-server-install.log'), `${r.stdout}\n${r.stderr}`);
  if (r.status !== 0) {
    console.error(String(r.stderr).split('\n').slice(-40).join('\n'));
    console.error(`code-server install failed; full log: ${path.join(CACHE, 'code-server-install.log')}`);
    process.exit(1);
  }
}
/** npm itself, run on this Node (24): code-server's postinstall reads the Node version from npm's user agent. */
function npmCommand() {
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith('.js') ? [process.execPath, npmCli] : ['npm'];
}

/**
 * The environment, less the user agent of the `npm test` that started us: npm reads npm_config_* as
 * settings, so the inner npm would report the outer one's (naming the system Node) to code-server's
 * postinstall. The rest (registry, certificates) is the same configuration and is kept.
 */
function npmFreeEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_user_agent$/i.test(k)));
}

/**
 * Node's headers for node-gyp, which must not download them: the `node` package's own copy when npm left
 * it in place, else the same version's package from the npm registry, installed once into the cache.
 */
function nodeHeaders() {
  if (existsSync(path.join(NODE24_HOME, 'include/node/node.h'))) return NODE24_HOME;
  const dir = path.join(CACHE, `node-headers-${process.versions.node}`);
  const home = path.join(dir, 'node_modules', `node-${process.platform}-${process.arch}`);
  if (!existsSync(path.join(home, 'include/node/node.h'))) {
    log(`installing Node ${process.versions.node}'s headers (node-${process.platform}-${process.arch}) into ${dir}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'switchyard-node-headers', private: true }));
    const [npm, ...npmArgs] = npmCommand();
    const r = spawnSync(npm, [...npmArgs, 'install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `node-${process.platform}-${process.arch}@${process.versions.node}`], { cwd: dir, stdio: 'inherit', env: npmFreeEnv() });
    if (r.status !== 0) { console.error('installing Node headers failed'); process.exit(1); }
  }
  return home;
}

const v = spawnSync(process.execPath, [codeServerEntry(), '--version'], {
  encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: path.join(CACHE, 'xdg-config'), XDG_DATA_HOME: path.join(CACHE, 'xdg-data') },
});
if (v.status !== 0) { console.error(`code-server does not start:\n${v.stderr}`); process.exit(1); }
log(`ready: code-server ${v.stdout.split('\n')[0]}, chromium, Node ${process.version}`);
