// What the engine tells the outside world. The IPC face forwards these to the extension; the CLI
// prints or ignores them. Keeping it an interface keeps the engine free of any transport.
import type { HostSettings } from '../protocol/host';
import type { MachineConfig } from './machineConfig';
import type { TranscriptEvent } from '../protocol/records';
import type { ApprovalRequest, ApprovalResponse, SessionAlert } from '../protocol/sessions';
import type { SpendSummary } from '../protocol/spend';
import type { SessionInfo } from '../protocol/types';

export interface EngineSink {
  sessionsChanged(sessions: SessionInfo[], removed: string[]): void;
  transcriptEvents(sessionId: string, from: number, events: TranscriptEvent[]): void;
  alert(alert: SessionAlert): void;
  spendChanged(summary: SpendSummary): void;
  /**
   * Asks the user; a sink with nobody to ask answers according to policy (the CLI approves in-worktree).
   * `signal` aborts when the session stops waiting (paused, stopped): the question is withdrawn.
   */
  approval(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalResponse>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export interface EngineOptions {
  home: string;
  settings: HostSettings;
  apiKey?: string;
  /** No person is watching (CLI): the loop guard stops instead of pausing for the user. */
  headless: boolean;
  sink: EngineSink;
  /**
   * Only look (CLI listing and reports): recover no session, start nothing, change no session. (Requests
   * that a dead process left in flight are still recorded at start, so the figures shown count them.)
   */
  passive?: boolean;
  /**
   * Which sessions a process that a dead one left running or queued may take over (and start); all by
   * default. A CLI command about one session (resume, merge, discard) takes over that one only, `run` none.
   */
  takesOver?: (sessionId: string) => boolean;
  /**
   * A queued session taken over is started here as soon as a slot frees (default). A CLI command leaves it
   * queued until it has decided to run it (resume), so merge or discard never starts an agent.
   */
  startsTakenOver?: boolean;
  /**
   * No editor sends this process its settings (CLI): it re-reads the home's config.json every second and
   * takes the settings this makes of it, so caps and limits changed in the editor hold for runs going on.
   */
  followMachineConfig?: (machine: Partial<MachineConfig>) => HostSettings;
  /**
   * Headless only: commands that would run without the OS sandbox (it cannot run here) are approved, with
   * nobody to ask (`--approve-commands`). Without it, a session that would run them is refused before it starts.
   */
  approvesUnconfined?: boolean;
}

/** A sink that drops everything; handy for tests that only look at the engine's state. */
export const silentSink: EngineSink = {
  sessionsChanged: () => {},
  transcriptEvents: () => {},
  alert: () => {},
  spendChanged: () => {},
  approval: async () => ({ approved: true }),
  log: () => {},
};
