// A throwaway world for the sandbox tests: a fake user home (with credentials to steal), a Switchyard
// home holding two sessions' worktrees of one checkout, and folders outside all of them.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DEFAULT_SETTINGS } from '../../src/host/settings';
import { type SandboxPolicy, sessionPolicy } from '../../src/host/sandbox/policy';
import { commitAllIn, sh, write } from './helpers/git-fixtures';

export interface SandboxWorld {
  root: string;
  /** Stands in for the user's home: $HOME points here while the world exists. */
  userHome: string;
  switchyardHome: string;
  /** The user's checkout. */
  main: string;
  /** This session's worktree and temp folder (inside the Switchyard home, as by default). */
  worktree: string;
  tempDir: string;
  /** Another session's worktree of the same checkout. */
  otherWorktree: string;
  /** A folder outside everything, with keep.txt in it. */
  outside: string;
  policy: SandboxPolicy;
  dispose(): void;
}

export const SECRET = 'SECRET-KEY-d41d8cd9';

export function makeWorld(): SandboxWorld {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sy-sandbox-')));
  const userHome = path.join(root, 'user');
  const savedHome = process.env.HOME;
  process.env.HOME = userHome;
  write(userHome, '.ssh/id_ed25519', `${SECRET}\n`);
  write(userHome, '.aws/credentials', `[default]\naws_secret_access_key=${SECRET}\n`);
  const switchyardHome = path.join(root, 'switchyard');
  write(switchyardHome, 'ledger/2026-11.jsonl', `{"secret":"${SECRET}"}\n`);
  const main = path.join(root, 'checkout');
  mkdirSync(main);
  sh(main, 'init', '-q', '-b', 'main');
  sh(main, 'config', 'user.name', 'Test User');
  sh(main, 'config', 'user.email', 'test@example.com');
  sh(main, 'config', 'commit.gpgsign', 'false');
  write(main, 'README.md', '# demo\n');
  write(main, 'src/app.txt', 'line 1\n');
  commitAllIn(main, 'initial');
  const repoDir = path.join(switchyardHome, 'repos', 'checkout-0123456789');
  const worktree = path.join(repoDir, 'worktrees', 'a');
  const otherWorktree = path.join(repoDir, 'worktrees', 'b');
  sh(main, 'worktree', 'add', '-q', '-b', 'switchyard/a', worktree);
  sh(main, 'worktree', 'add', '-q', '-b', 'switchyard/b', otherWorktree);
  const tempDir = path.join(repoDir, 'sessions', 'a', 'tmp');
  mkdirSync(tempDir, { recursive: true });
  const outside = path.join(root, 'outside');
  write(outside, 'keep.txt', 'keep\n');
  const policy = sessionPolicy({ worktree, tempDir, switchyardHome, denyRead: DEFAULT_SETTINGS.sandbox.denyRead });
  return {
    root,
    userHome,
    switchyardHome,
    main,
    worktree,
    tempDir,
    otherWorktree,
    outside,
    policy,
    dispose: () => {
      if (savedHome === undefined) delete process.env.HOME;
      else process.env.HOME = savedHome;
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Host pids of live processes whose command line is exactly `argv`, wherever they run (any namespace). */
export function processesRunning(argv: readonly string[]): number[] {
  const wanted = argv.join('\0') + '\0';
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8') !== wanted) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // A zombie is dead; it only waits for a reaper.
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(name));
    } catch {
      // It ended while we looked.
    }
  }
  return out;
}

/** Polls a condition that has no event to await (another process's death), up to a deadline. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(10);
  }
}

/** A Node script, outside every writable folder, that tries to open a TCP connection and says how it went. */
export function writeNetProbe(dir: string): string {
  const file = path.join(dir, 'netprobe.js');
  writeFileSync(
    file,
    `// usage: netprobe.js direct|proxy PORT
const net = require('node:net');
const [mode, port] = [process.argv[2], Number(process.argv[3])];
const fail = msg => { console.log(mode + ': ' + msg); process.exit(1); };
if (mode === 'direct') {
  const s = net.connect(port, '127.0.0.1');
  s.on('connect', () => { console.log('direct: connected'); s.destroy(); });
  s.on('error', e => fail('cannot connect (' + e.code + ')'));
} else {
  if (!process.env.HTTP_PROXY) fail('no proxy in the environment');
  const u = new URL(process.env.HTTP_PROXY);
  const auth = Buffer.from(decodeURIComponent(u.username) + ':' + decodeURIComponent(u.password)).toString('base64');
  const s = net.connect(Number(u.port), u.hostname, () => {
    s.write('CONNECT 127.0.0.1:' + port + ' HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nProxy-Authorization: Basic ' + auth + '\\r\\n\\r\\n');
  });
  let head = '';
  s.on('data', d => {
    head += d;
    if (!head.includes('\\r\\n')) return;
    const status = head.split('\\r\\n')[0];
    s.destroy();
    if (/ 200 /.test(status)) console.log('proxy: connected'); else fail('refused: ' + status);
  });
  s.on('error', e => fail('cannot reach the proxy (' + e.code + ')'));
}
`,
  );
  return file;
}
