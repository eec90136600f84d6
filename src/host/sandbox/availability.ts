// Can the OS sandbox run here? Checks the platform and the tools it needs, then runs one trivial
// command in a real sandbox (the only way to learn whether user namespaces are allowed) and caches the
// answer: a success for the life of the process, a failure briefly, so installing what was missing
// takes effect for the next session without a restart.
import { accessSync, constants, promises as fs, readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv } from '../agent/tools/env';
import { runShellInProcessGroup } from '../agent/tools/localRunner';
import { SandboxError, SandboxInterruptedError, SandboxUnavailableError } from './errors';
import { sessionPolicy } from './policy';
import { type SandboxRuntime, sandboxRuntime, type WrappedCommand } from './runtime';
import { shQuote } from './shell';

/** `interrupted`: its start was cancelled because this process is stopping; nothing is missing. */
export type SandboxAvailability = { ok: true } | { ok: false; reason: string; install?: string; interrupted?: true };

/** Set (to anything but 0) to make the sandbox unavailable, e.g. to test the fall-back path. */
export const UNAVAILABLE_ENV = 'SWITCHYARD_SANDBOX_UNAVAILABLE';

const LINUX_TOOLS = [
  { bin: 'bwrap', pkg: 'bubblewrap' },
  { bin: 'socat', pkg: 'socat' },
  { bin: 'rg', pkg: 'ripgrep' },
] as const;

const FAILURE_TTL_MS = 30_000;
const PROBE_TIMEOUT_MS = 15_000;

export interface AvailabilityOptions {
  env?: NodeJS.ProcessEnv;
  runtime?: SandboxRuntime;
}

let cached: { at: number; value: Promise<SandboxAvailability> } | undefined;

export function sandboxAvailability(o: AvailabilityOptions = {}): Promise<SandboxAvailability> {
  const env = o.env ?? process.env;
  const forced = env[UNAVAILABLE_ENV];
  if (forced && forced !== '0') {
    return Promise.resolve({ ok: false, reason: `${UNAVAILABLE_ENV}=${forced} is set`, install: fullInstallCommand() });
  }
  const runtime = o.runtime ?? sandboxRuntime();
  // Only the answer for this process's own environment is worth keeping.
  if (o.env) return checkSandbox(runtime, env);
  const fresh = cached && (cached.at === Infinity || Date.now() - cached.at < FAILURE_TTL_MS);
  if (!fresh) {
    const value = checkSandbox(runtime, env);
    const entry = { at: Date.now(), value };
    cached = entry;
    void value.then(v => {
      if (v.ok && cached === entry) entry.at = Infinity;
    });
  }
  return cached!.value;
}

/** Forgets the cached answer (after the user installed what was missing, or in tests). */
export function resetSandboxAvailability(): void {
  cached = undefined;
}

function checkSandbox(runtime: SandboxRuntime, env: NodeJS.ProcessEnv): Promise<SandboxAvailability> {
  return check(runtime, env).catch((err: unknown) => ({ ok: false, reason: `the sandbox check failed (${(err as Error).message})` }));
}

async function check(runtime: SandboxRuntime, env: NodeJS.ProcessEnv): Promise<SandboxAvailability> {
  const platform = process.platform;
  if (platform === 'linux') {
    const missing = LINUX_TOOLS.filter(t => !onPath(t.bin, env));
    if (missing.length) {
      return { ok: false, reason: `${missing.map(t => t.bin).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed`, install: installCommand(missing.map(t => t.pkg)) };
    }
    if (!runtime.vendor().applySeccomp) {
      return {
        ok: false,
        reason: `the sandbox helper apply-seccomp for ${process.arch} is missing (looked in ${runtime.vendor().searched.join(', ')}); reinstall Switchyard`,
      };
    }
  } else if (platform === 'darwin') {
    if (!onPath('rg', env)) return { ok: false, reason: 'rg (ripgrep) is not installed', install: 'brew install ripgrep' };
  } else {
    return { ok: false, reason: `there is no OS sandbox for ${platform} yet` };
  }
  return probe(runtime);
}

/** Runs one command in a real sandbox: it must succeed, and a write outside its folders must fail. */
async function probe(runtime: SandboxRuntime): Promise<SandboxAvailability> {
  const root = realpathSync(await fs.mkdtemp(path.join(os.tmpdir(), 'switchyard-sandbox-probe-')));
  try {
    const worktree = path.join(root, 'wt');
    await fs.mkdir(worktree);
    const policy = sessionPolicy({ worktree, tempDir: path.join(root, 'tmp'), switchyardHome: path.join(root, 'home'), denyRead: [] });
    let wrapped: WrappedCommand;
    try {
      wrapped = await runtime.wrap({ script: `touch ${shQuote(path.join(root, 'escaped'))} 2>/dev/null && exit 99\ntouch ./inside`, policy });
    } catch (err) {
      if (err instanceof SandboxUnavailableError) return { ok: false, reason: err.reason };
      if (err instanceof SandboxInterruptedError) return { ok: false, reason: err.message, interrupted: true };
      if (err instanceof SandboxError) return { ok: false, reason: err.message };
      throw err;
    }
    const opts = { cwd: worktree, timeoutMs: PROBE_TIMEOUT_MS, signal: new AbortController().signal, outputCapBytes: 4096 };
    const r = await runShellInProcessGroup(`exec 2>&1\n${wrapped.command}`, opts, { killGraceMs: 500, env: childEnv() }).finally(() => wrapped.release());
    if (r.exitCode === 0) return { ok: true };
    if (r.exitCode === 99) return { ok: false, reason: 'a test command could write outside its folders: the sandbox does not confine here' };
    const last = r.output.trim().split('\n').slice(-2).join(' / ');
    const detail = r.timedOut ? `it did not finish within ${PROBE_TIMEOUT_MS / 1000} s` : `it failed (${last || `exit code ${r.exitCode}`})`;
    return {
      ok: false,
      reason:
        `a test command could not run in the sandbox: ${detail}. Unprivileged user namespaces may be disabled ` +
        '(on Ubuntu 24.04 and later: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)',
    };
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
}

/** What installs everything the sandbox needs on this platform. */
export function fullInstallCommand(platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform === 'linux') return installCommand(LINUX_TOOLS.map(t => t.pkg));
  if (platform === 'darwin') return 'brew install ripgrep';
  return undefined;
}

export function onPath(bin: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, bin), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** The command that installs `packages` on this machine's distribution (read from /etc/os-release). */
export function installCommand(packages: readonly string[], osRelease: string | undefined = readOsRelease()): string {
  const list = packages.join(' ');
  const ids = new Set<string>();
  for (const m of (osRelease ?? '').matchAll(/^(ID|ID_LIKE)=(.*)$/gm)) {
    for (const id of m[2]!.replace(/["']/g, '').split(/\s+/)) if (id) ids.add(id.toLowerCase());
  }
  const has = (...names: string[]) => names.some(n => ids.has(n));
  if (has('debian', 'ubuntu')) return `sudo apt-get install ${list}`;
  if (has('fedora', 'rhel', 'centos')) return `sudo dnf install ${list}`;
  if (has('arch')) return `sudo pacman -S ${list}`;
  if (has('alpine')) return `sudo apk add ${list}`;
  if (has('suse', 'opensuse')) return `sudo zypper install ${list}`;
  return `install ${packages.join(', ')} with your package manager`;
}

function readOsRelease(): string | undefined {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return undefined;
  }
}
