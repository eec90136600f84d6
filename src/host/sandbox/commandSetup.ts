// How a session's commands run. Trusted and allowed to run commands: inside the OS sandbox when it
// works here; when it does not, every command asks first (never silently unconfined); turned off by
// the user: unconfined, with a warning on the session. An 'ask' approval policy asks in every case,
// and the command still runs sandboxed when it can.
import type { HostSettings } from '../../protocol/host';
import type { ApprovalPolicy } from '../../protocol/types';
import { ToolError } from '../agent/tools/errors';
import { localRunner } from '../agent/tools/localRunner';
import type { CommandRunner } from '../agent/tools/types';
import type { HomeLayout } from '../home';
import type { CommandSetup } from '../sessions/context';
import { type SandboxAvailability, sandboxAvailability } from './availability';
import { SandboxError, SandboxUnavailableError } from './errors';
import { sessionPolicy } from './policy';
import { wrapAgentProcess } from './processWrap';
import { type SandboxRuntime, sandboxRuntime } from './runtime';
import { createSandboxRunner } from './sandboxRunner';
import { userCheckouts } from './userCheckouts';

/** What the setup needs of a session (a LiveSession has it). */
export interface SessionForCommands {
  id: string;
  record: { approval: ApprovalPolicy; worktree: string; repo: string };
  paths: { tempDir: string };
}

/** A CommandSetup that holds sandbox resources for wrapped agent processes until disposed. */
export interface SandboxCommandSetup extends CommandSetup {
  /** Frees what wrapProcess holds; call when the session's run has ended. Idempotent. */
  dispose(): void;
}

export interface CommandSetupDeps {
  runtime?: SandboxRuntime;
  /** Whether the sandbox can run; the real probe by default (tests make it unavailable). */
  availability?: () => Promise<SandboxAvailability>;
}

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export const SANDBOX_OFF_NOTE =
  'Warning: the OS sandbox is turned off (switchyard.sandbox.enabled). Commands run with your full permissions and can change or read anything you can.';

export async function commandSetupFor(
  s: SessionForCommands,
  settings: HostSettings,
  home: HomeLayout,
  log: Log,
  deps: CommandSetupDeps = {},
): Promise<SandboxCommandSetup> {
  if (!settings.workspaceTrusted || s.record.approval === 'read-only') {
    const note = settings.workspaceTrusted ? 'Read-only session: no command runs.' : 'The workspace is not trusted: no command runs.';
    return fixed({ runner: refusingRunner(note), confinement: 'read-only', note, forceAsk: false, wrapProcess: refuseProcess(note) });
  }
  if (!settings.sandbox.enabled) {
    log('warn', `Session ${s.id}: the OS sandbox is turned off; commands run unconfined.`);
    return fixed({ runner: localRunner, confinement: 'unconfined', note: SANDBOX_OFF_NOTE, forceAsk: false });
  }
  const runtime = deps.runtime ?? sandboxRuntime();
  const available = await (deps.availability ?? (() => sandboxAvailability({ runtime })))();
  if (!available.ok) {
    // Interrupted by this process's own stop (Ctrl-C in a CLI run): said as that, not as a sandbox missing.
    const note = available.interrupted ? available.reason : unavailableNote(available.reason, available.install);
    log(available.interrupted ? 'info' : 'warn', `Session ${s.id}: ${note}`);
    const refusal = new SandboxUnavailableError(available.reason, available.install);
    return fixed({
      runner: localRunner,
      confinement: 'asking',
      note,
      forceAsk: true,
      // An agent process cannot be asked about each command it runs: without the sandbox it does not start.
      wrapProcess: () => Promise.reject(refusal),
    });
  }
  const { rejected } = await runtime.setAllowedDomains(settings.sandbox.allowedDomains);
  if (rejected.length) log('warn', `switchyard.sandbox.allowedDomains: ignored ${rejected.map(d => JSON.stringify(d)).join(', ')}`);
  const policy = sessionPolicy({
    worktree: s.record.worktree,
    tempDir: s.paths.tempDir,
    switchyardHome: home.root,
    denyRead: settings.sandbox.denyRead,
    checkouts: await userCheckouts(s.record.repo, [home.root, home.worktreesDir(s.record.repo, settings.worktreesDir)]),
  });
  const held = new Set<() => void>();
  return {
    runner: createSandboxRunner({ policy, runtime }),
    confinement: 'sandboxed',
    note: rejected.length ? `Ignored entries of switchyard.sandbox.allowedDomains that are not valid domains: ${rejected.join(', ')}.` : undefined,
    forceAsk: false,
    wrapProcess: async (argv, o) => {
      const wrapped = await wrapAgentProcess(runtime, policy, argv, o);
      held.add(wrapped.release);
      return wrapped.argv;
    },
    dispose: () => {
      for (const release of held) release();
      held.clear();
    },
  };
}

export function unavailableNote(reason: string, install: string | undefined): string {
  const fix = install ? ` To sandbox commands, install what is missing: ${install}` : '';
  return `The OS sandbox cannot run here: ${reason}.${fix} Until then, every command asks for your approval first.`;
}

function fixed(setup: CommandSetup): SandboxCommandSetup {
  return { ...setup, dispose: () => undefined };
}

function refusingRunner(why: string): CommandRunner {
  return () => Promise.reject(new ToolError(`commands cannot run in this session. ${why}`));
}

function refuseProcess(why: string): NonNullable<CommandSetup['wrapProcess']> {
  return () => Promise.reject(new SandboxError(`This agent cannot run: ${why}`));
}
