// What every command may use. Built once in activate(); commands never reach for globals.
import type * as vscode from 'vscode';
import type { SessionInfo } from '../../protocol/types';
import type { Approvals } from '../approvals';
import type { HostClient } from '../hostClient';
import type { SessionState } from '../sessionState';
import type { ApiKeyStore } from '../storage';
import type { SessionsTree } from '../views/sessionsTree';
import type { TranscriptPanels } from '../views/transcriptPanel';

export interface CommandContext {
  extension: vscode.ExtensionContext;
  host: HostClient;
  /** Commands agents wait to have approved in this window. */
  approvals: Approvals;
  state: SessionState;
  tree: SessionsTree;
  transcripts: TranscriptPanels;
  apiKeys: ApiKeyStore;
  log: vscode.LogOutputChannel;
  /** The workspace's repository, once the host has confirmed it is one. */
  repo(): string | undefined;
  /** Looks for it again (a folder made a repository since, or folders changed), and shows what it found. */
  findRepo(): Promise<string | undefined>;
  /** Every repository of the workspace's folders, in folder order (the window shows one at a time: `repo`). */
  repos(): readonly string[];
  /** Makes `root`, one of `repos`, the window's repository: its sessions are shown and started from then on. */
  useRepo(root: string): Promise<void>;
  /** Looks for the repository again and lists its sessions (Refresh); tabs of sessions no longer listed close. */
  showRepo(): Promise<void>;
  /** The workspace folder a session of `root` starts from: the root, or the folder below it that is open here (a monorepo's package). */
  startFolder(root: string): string;
  /** No folder here is in a usable repository, and one is in a repository with no commit yet. */
  noCommitsYet(): boolean;
  /** The session the status-bar tier item acts on: the selected row, else the active transcript, else the last one used. */
  activeSession(): SessionInfo | undefined;
  /** The id of the session the user came to last: a row selected, a transcript brought to the front, one started. */
  cameToLast(): string | undefined;
  setActiveSession(id: string): void;
  pushConfiguration(): Promise<void>;
}

export type CommandHandler = (ctx: CommandContext, ...args: unknown[]) => unknown;
