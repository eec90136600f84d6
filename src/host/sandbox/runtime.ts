// The one owner of @anthropic-ai/sandbox-runtime in this process. The library keeps its state (the
// network proxies, the configuration, the count of running sandboxes) in a module-level singleton, so
// every session shares one SandboxRuntime: the network allow list is global (it comes from settings),
// and each command brings its own filesystem policy in the per-call configuration.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { SandboxError, SandboxInterruptedError, SandboxUnavailableError } from './errors';
import { type PathEntry, type SandboxPolicy, writeDenials, writeRoots } from './policy';
import { endStrandedBridges } from './strandedBridges';
import { findVendorPaths, type VendorPaths } from './vendor';

type SandboxLibrary = typeof import('@anthropic-ai/sandbox-runtime');
type RuntimeConfig = import('@anthropic-ai/sandbox-runtime').SandboxRuntimeConfig;
type Manager = SandboxLibrary['SandboxManager'];

export interface WrapRequest {
  /** Run by /bin/sh inside the sandbox. */
  script: string;
  policy: SandboxPolicy;
  /** Stops a slow wrap (the library scans the disk for paths to protect). */
  signal?: AbortSignal;
  /** `host:port` entries this command alone may reach besides the allowed domains (the gateway). */
  extraHosts?: readonly string[];
}

export interface WrappedCommand {
  /** A shell command line: run it with `/bin/sh -c`, while this process lives, before release(). */
  command: string;
  /** Call once the command has exited (or will never run): frees what the wrap holds. Idempotent. */
  release(): void;
}

export class SandboxRuntime {
  private library: Promise<SandboxLibrary> | undefined;
  private ready: Promise<Manager> | undefined;
  private started: Manager | undefined;
  private domains: string[] = [];
  private appliedDomains: string | undefined;
  private vendorPaths: VendorPaths | undefined;
  /** A start was begun since the last dispose (it may have failed, and left bridges behind). */
  private attempted = false;

  /** The library, loaded on first use (it is large and most hosts may never run a command). */
  load(): Promise<SandboxLibrary> {
    this.library ??= new Promise<SandboxLibrary>(resolve => {
      // require, not import(): bundled, esbuild inlines it; unbundled (tests), Node loads the ES module
      // through require, which, unlike import(), also finds it through NODE_PATH.
      resolve(require('@anthropic-ai/sandbox-runtime') as SandboxLibrary);
    }).catch((err: unknown) => {
      this.library = undefined;
      throw new SandboxUnavailableError(`the sandbox library could not be loaded (${(err as Error).message})`);
    });
    return this.library;
  }

  vendor(): VendorPaths {
    this.vendorPaths ??= findVendorPaths();
    return this.vendorPaths;
  }

  /**
   * Sets the domains every sandboxed command may reach (`sandbox.allowedDomains`). Entries the library
   * would refuse are left out and returned, so the session can say which ones were ignored.
   */
  async setAllowedDomains(domains: readonly string[]): Promise<{ rejected: string[] }> {
    const lib = await this.load();
    const accepted: string[] = [];
    const rejected: string[] = [];
    for (const raw of domains) {
      const d = raw.trim();
      if (!d) continue;
      const ok = lib.NetworkConfigSchema.safeParse({ allowedDomains: [d], deniedDomains: [] }).success;
      (ok ? accepted : rejected).push(d);
    }
    this.domains = [...new Set(accepted)];
    this.applyDomains();
    return { rejected };
  }

  async wrap(req: WrapRequest): Promise<WrappedCommand> {
    const manager = await this.start();
    // Unguessable: the id is the only thing that ties a proxy connection to its own allow list.
    const commandId = randomBytes(16).toString('hex');
    if (req.extraHosts?.length) manager.registerCommandNetworkLists(commandId, { allowedDomains: [...req.extraHosts] });
    let command: string;
    try {
      command = await manager.wrapWithSandbox(req.script, 'sh', { filesystem: filesystemFor(req.policy) }, req.signal, { commandId });
    } catch (err) {
      // A wrap that threw has released what it held; only the allow list is ours to drop.
      manager.unregisterCommandNetworkLists(commandId);
      if (req.signal?.aborted) throw err;
      throw new SandboxError(`the sandbox could not be set up for this command: ${(err as Error).message}`);
    }
    let released = false;
    return {
      command,
      release: () => {
        if (released) return;
        released = true;
        manager.unregisterCommandNetworkLists(commandId);
        manager.cleanupAfterCommand();
      },
    };
  }

  /** Stops the proxies and forgets the configuration (host shutdown). Safe to call when never started. */
  async dispose(): Promise<void> {
    const pending = this.ready;
    const attempted = this.attempted;
    this.ready = undefined;
    this.started = undefined;
    this.appliedDomains = undefined;
    this.attempted = false;
    const manager = await pending?.catch(() => undefined);
    if (manager) {
      await manager.reset();
      return;
    }
    // A start that failed or was cancelled (the library's own Ctrl-C handler resets it half-way) may have
    // left its socat bridges running unrecorded: they would keep this process from ever exiting.
    if (attempted) endChildrenNamed('socat', 'UNIX-LISTEN:');
  }

  private start(): Promise<Manager> {
    this.attempted = true;
    this.ready ??= this.initialize().catch((err: unknown) => {
      this.ready = undefined;
      throw startFailure(err);
    });
    return this.ready;
  }

  private async initialize(): Promise<Manager> {
    const lib = await this.load();
    const manager = lib.SandboxManager;
    if (!manager.isSupportedPlatform()) throw new SandboxUnavailableError(`there is no OS sandbox for ${process.platform}`);
    // A run killed outright left its bridges running; they would pile up with each such run.
    endStrandedBridges();
    await manager.initialize(this.config());
    this.started = manager;
    this.appliedDomains = JSON.stringify(this.domains);
    // Settings may have changed while the proxies were starting.
    this.applyDomains();
    return manager;
  }

  private applyDomains(): void {
    const key = JSON.stringify(this.domains);
    if (!this.started || key === this.appliedDomains) return;
    this.started.updateConfig(this.config());
    this.appliedDomains = key;
  }

  private config(): RuntimeConfig {
    const vendor = this.vendor();
    return {
      network: { allowedDomains: [...this.domains], deniedDomains: [] },
      // Nothing is writable unless a command's own policy says so.
      filesystem: { denyRead: [], allowWrite: [], denyWrite: [] },
      // The library scans the host's working folder for files to protect from writes; ours is never
      // inside a session's writable folders (the worktree's own `.git` is protected by policy.ts), so a
      // shallow scan saves time on every command without giving anything up.
      mandatoryDenySearchDepth: 1,
      ...(vendor.applySeccomp ? { seccomp: { applyPath: vendor.applySeccomp } } : {}),
      ...(vendor.javaAgentJar ? { javaAgentJarPath: vendor.javaAgentJar } : {}),
    };
  }
}

function filesystemFor(policy: SandboxPolicy): RuntimeConfig['filesystem'] {
  const roots = writeRoots(policy);
  const denyRead: PathEntry[] = policy.denyRead;
  return {
    denyRead,
    // Re-opened by name: the worktree and temp folder usually lie inside the denied Switchyard home.
    allowRead: roots,
    allowWrite: roots,
    denyWrite: writeDenials(policy),
  };
}

/**
 * Ends this process's own children with the command name `comm` whose arguments include `argument` (the
 * sandbox's bridges listen on a Unix socket). Linux; elsewhere nothing is done.
 */
export function endChildrenNamed(comm: string, argument = ''): number {
  if (process.platform !== 'linux') return 0;
  let ended = 0;
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last one.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 2)[1]);
      if (name === comm && ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(argument)) {
        process.kill(Number(pid), 'SIGTERM');
        ended++;
      }
    } catch {
      // gone meanwhile
    }
  }
  return ended;
}

/**
 * Why the sandbox did not start, as the session says it. The library's own Ctrl-C handler cancels a start
 * half-way ("initialize() was cancelled by reset()"): that is this process stopping, not a sandbox that
 * cannot run here.
 */
export function startFailure(err: unknown): SandboxError {
  if (err instanceof SandboxError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/cancelled by reset\(\)/.test(message)) return new SandboxInterruptedError();
  return new SandboxUnavailableError(`the sandbox could not start (${message})`);
}

let shared: SandboxRuntime | undefined;

/** The process's sandbox (see the note at the top: the library allows only one). */
export function sandboxRuntime(): SandboxRuntime {
  shared ??= new SandboxRuntime();
  return shared;
}

/** Stops the shared sandbox's proxies; the next use starts them again. */
export async function disposeSandboxRuntime(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (s) await s.dispose();
}
