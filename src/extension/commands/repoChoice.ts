// Which repository a window works in: it shows and starts the sessions of one repository at a time, and of
// several open (a multi-root workspace) the user chooses.
import path from 'node:path';
import * as vscode from 'vscode';
import { ACTIVE_STATUSES } from '../../protocol/types';
import { plural } from '../views/numbers';
import type { CommandContext } from './context';

/**
 * "Switchyard: Choose Repository…": the repository whose sessions this window shows and starts. Called with
 * one of them (a path: tests, keybindings, other extensions), it uses that one without asking. Resolves to
 * the one chosen, undefined when none was.
 */
export async function chooseRepository(ctx: CommandContext, arg?: unknown): Promise<string | undefined> {
  const repos = ctx.repos();
  if (typeof arg === 'string') {
    if (!repos.includes(arg)) {
      void vscode.window.showErrorMessage(`${arg} is not a repository open in this window: ${repos.map(r => path.basename(r)).join(', ') || 'none is'}.`);
      return undefined;
    }
    await ctx.useRepo(arg);
    return arg;
  }
  if (repos.length < 2) {
    void vscode.window.showInformationMessage(repos.length
      ? `Switchyard works in ${path.basename(repos[0]!)}, the one repository open here. Add another repository's folder to the workspace to choose between them.`
      : 'No folder open here is in a git repository.');
    return ctx.repo();
  }
  // No count of each one's sessions: listing a repository loads it, and loading takes over the sessions a
  // closed window left queued there, which would then run here, unseen, for a look at a list.
  const items = repos.map(root => ({
    root,
    label: `$(repo) ${path.basename(root)}`,
    description: root === ctx.repo() ? 'shown now' : undefined,
    detail: root,
  }));
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Repository: its sessions show in the Sessions view, and new ones start in it',
    placeHolder: 'Choose a repository of this workspace',
  });
  if (!pick) return undefined;
  if (pick.root !== ctx.repo() && !(await leaveRunning(ctx))) return undefined;
  await ctx.useRepo(pick.root);
  return pick.root;
}

/** Sessions of the repository shown go on running when the window shows another: said, and asked, first. */
async function leaveRunning(ctx: CommandContext): Promise<boolean> {
  // Queued here too: they start as slots free, out of sight as much.
  const running = ctx.state.all.filter(s => ACTIVE_STATUSES.includes(s.status) && (s.runsHere || s.queuePosition !== undefined));
  if (!running.length) return true;
  const name = path.basename(ctx.repo() ?? '');
  const go = 'Switch';
  const choice = await vscode.window.showWarningMessage(
    `${plural(running.length, 'session')} of ${name} ${running.length === 1 ? 'runs' : 'run'} in this window. ${running.length === 1 ? 'It goes' : 'They go'} on running, and spending, out of sight until you choose ${name} again (or pause ${running.length === 1 ? 'it' : 'them'} first).`,
    { modal: true },
    go,
  );
  return choice === go;
}
