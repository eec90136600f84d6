// Which session a command is about: the one it was given (an id, a tree row, a session object), the
// selected row or the transcript in front, or one the user picks.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionInfo, SessionStatus } from '../../protocol/types';
import { plainText } from '../plainText';
import { usd } from '../views/format';
import type { CommandContext } from './context';

/** Said when VS Code hands a row's command no row: it forgot the row in a redraw as the user clicked. */
export function sayRowWasRedrawn(): undefined {
  void vscode.window.showInformationMessage('Switchyard: the Sessions list was redrawn as you clicked; click the session again.');
  return undefined;
}

export async function resolveSession(
  ctx: CommandContext,
  arg: unknown,
  allowedStatuses?: readonly SessionStatus[] | ((s: SessionInfo) => boolean),
  verb = 'act on',
): Promise<SessionInfo | undefined> {
  const allowed = typeof allowedStatuses === 'function' ? allowedStatuses
    : allowedStatuses && ((s: SessionInfo) => allowedStatuses.includes(s.status));
  const id = idOf(arg);
  const given = id ? ctx.state.get(id) : undefined;
  if (given && allowed && !allowed(given)) {
    void vscode.window.showInformationMessage(`Switchyard: cannot ${verb} "${given.title}": it is ${given.status}.`);
    return undefined;
  }
  if (given) return given;
  if (id) {
    void vscode.window.showErrorMessage(`Switchyard: no session with id ${id}.`);
    return undefined;
  }
  const implicit = implicitSession(ctx);
  if (implicit && (!allowed || allowed(implicit))) return implicit;
  const candidates = ctx.state.all.filter(s => !allowed || allowed(s)).reverse();
  if (!candidates.length) {
    void vscode.window.showInformationMessage(`Switchyard: there is no session to ${verb}.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    candidates.map(s => ({ label: s.title, description: `${s.status} · ${usd(s.costUsd)} · ${s.tier}`, detail: s.branch, session: s })),
    { title: `Choose the session to ${verb}`, matchOnDescription: true, matchOnDetail: true },
  );
  return pick?.session;
}

/**
 * The session a command run without one (palette, keybinding) is about: the selected row or the transcript
 * in front, whichever the user came to last. A row left selected must not take a command meant for the
 * transcript being read.
 */
function implicitSession(ctx: CommandContext): SessionInfo | undefined {
  const selected = ctx.tree.selected();
  const inFront = ctx.transcripts.activeSessionId === undefined ? undefined : ctx.state.get(ctx.transcripts.activeSessionId);
  if (!selected || !inFront || selected.id === inFront.id) return selected ?? inFront;
  const last = ctx.cameToLast();
  return last === inFront.id ? inFront : last === selected.id ? selected : undefined;
}

function idOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null) {
    const o = arg as { id?: unknown; session?: { id?: unknown }; sessionId?: unknown };
    if (typeof o.sessionId === 'string') return o.sessionId;
    if (o.session && typeof o.session.id === 'string') return o.session.id;
    if (typeof o.id === 'string' && !o.id.includes(':')) return o.id;
  }
  return undefined;
}

/** A finite amount of dollars at or above `min` ("Infinity" would be saved as null: no cap at all). */
export function errorText(err: unknown): string {
  // The host's reason, without the RPC layer's "Request <method> failed with message:" around it.
  return (err instanceof Error ? err.message : String(err)).replace(/^Request \S+ failed with message: /, '');
}

/**
 * In Restricted Mode, says at once (before any picker or input) that `what` cannot happen here, with the
 * way to trust the workspace; true when it did. The host refuses the same (preflight untrustedProblem).
 */
export function refusedUntrusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return false;
  void vscode.window
    .showWarningMessage(`Switchyard: ${what} in Restricted Mode. That runs git in the repository, and git runs programs the repository's own configuration names.`, 'Manage Workspace Trust')
    .then(choice => choice && vscode.commands.executeCommand('workbench.trust.manage'));
  return true;
}

/** Runs a host request, showing a failure as an error message rather than an unhandled rejection. */
/** Runs a request to the host with the window's progress spinner (a merge or a worktree can take seconds); an error is shown. */
export async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Switchyard: ${what}` }, fn);
  } catch (err) {
    void vscode.window.showErrorMessage(`Switchyard: ${what}: ${plainText(errorText(err))}`);
    return undefined;
  }
}

/**
 * Where a save dialog starts, with `name` filled in: the workspace's folder, else the home folder. A bare
 * `Uri.file(name)` is the root of the file system, where saving usually fails.
 */
export function saveTarget(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
}
