// Which repository a window works in: it shows and starts the sessions of one repository at a time, and of
// several open (a multi-root workspace) the user chooses.
import path from 'node:path';
import * as vscode from 'vscode';
import { SessionsProtocol } from '../../protocol/sessions';
import { OPEN_STATUSES } from '../../protocol/types';
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
  // How many sessions each holds open: where a session the user looks for is.
  const open = await Promise.all(repos.map(root => ctx.host.request(SessionsProtocol.list, { repo: root }).then(
    list => list.filter(s => OPEN_STATUSES.includes(s.status)).length,
    () => undefined,
  )));
  const items = repos.map((root, i) => ({
    root,
    label: `$(repo) ${path.basename(root)}`,
    description: root === ctx.repo() ? 'shown now' : undefined,
    detail: `${root}${open[i] === undefined ? '' : ` · ${plural(open[i]!, 'open session')}`}`,
  }));
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Repository: its sessions show in the Sessions view, and new ones start in it',
    placeHolder: 'Choose a repository of this workspace',
  });
  if (!pick) return undefined;
  await ctx.useRepo(pick.root);
  return pick.root;
}
