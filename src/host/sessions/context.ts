// Everything the session code needs from the engine, in one typed bag (no module reaches for globals).
import type { HostSettings } from '../../protocol/host';
import type { CommandRunner } from '../agent/tools/types';
import type { EngineSink } from '../events';
import type { Gateway } from '../gateway/gateway';
import type { HomeLayout } from '../home';
import type { LastBeats } from '../util/heartbeats';
import type { SpendService } from '../spend/spendService';
import type { FingerprintCache } from './fingerprints';
import type { LiveSession } from './liveSession';
import type { SessionStore } from './sessionStore';

export interface CommandSetup {
  runner: CommandRunner;
  confinement: 'sandboxed' | 'asking' | 'unconfined' | 'read-only';
  note?: string;
  /** Every command needs the user's approval (the sandbox is unavailable and policy says ask). */
  forceAsk: boolean;
  /** Wraps a whole agent process (the `command` kind) in the same sandbox; absent when unconfined. */
  wrapProcess?(argv: string[], o: { cwd: string; gatewayPort: number }): Promise<string[]>;
  /** Releases what the setup holds (sandbox proxies' allow entries) when the run ends. */
  dispose?(): void;
}

export interface SessionContext {
  home: HomeLayout;
  store: SessionStore;
  gateway: Gateway;
  spend: SpendService;
  fingerprints: FingerprintCache;
  sink: EngineSink;
  hostId: string;
  /** When hosts last beat: whether a session's owner is still there (ownership.ts). */
  beats: LastBeats;
  headless: boolean;
  /** Headless, and commands that would run outside the sandbox are not approved: a session that would run them is refused. */
  refusesUnconfined: boolean;
  /** Only look: sessions found on disk are shown as they are, never recovered or started. */
  passive: boolean;
  /** Sessions a dead process left running or queued that this one may take over (EngineOptions.takesOver). */
  takesOver(sessionId: string): boolean;
  /** A queued session taken over goes into this process's run queue at once (EngineOptions.startsTakenOver). */
  startsTakenOver: boolean;
  settings(): HostSettings;
  apiKey(): string | undefined;
  /** How this session's commands run: in the OS sandbox when it works, else asking, never silently unconfined. */
  commands(s: LiveSession): Promise<CommandSetup>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}
