// Reviewing and finishing a session: its changes in VS Code's multi-file diff editor, its worktree in a
// new window, merging it back (merge, squash or rebase) and discarding it without losing work by accident.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { FINISHED_UNCHANGED, SessionsProtocol, type MergeResult } from '../../protocol/sessions';
import { ACTIVE_STATUSES, MERGEABLE_STATUSES, OPEN_STATUSES, type MergeStrategy, type SessionInfo } from '../../protocol/types';
import { baseUri } from '../baseContent';
import type { CommandContext } from './context';
import { guarded, refusedUntrusted, resolveSession } from './pick';
import { discardable } from '../paletteContext';

export async function showChanges(ctx: CommandContext, arg?: unknown) {
  if (refusedUntrusted("no session's changes are shown")) return undefined;
  const s = await resolveSession(ctx, arg, OPEN_STATUSES, 'review');
  if (!s) return undefined;
  const changes = await guarded(`reading the changes of "${s.title}"`, () => ctx.host.request(SessionsProtocol.changes, { sessionId: s.id }));
  if (!changes) return undefined;
  if (!changes.files.length) {
    void vscode.window.showInformationMessage(`"${s.title}" has not changed any file yet.`);
    return changes;
  }
  const resources = changes.files.map(f => {
    const live = vscode.Uri.file(path.join(changes.worktree, f.path));
    const original = f.status === 'added' ? undefined : baseUri(s.id, f.oldPath ?? f.path);
    const modified = f.status === 'deleted' ? undefined : live;
    return [live, original, modified] as [vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined];
  });
  // Its changes since it started: the left side is the commit it started from, which its base branch may
  // have moved past since (a merge says then what conflicts).
  await vscode.commands.executeCommand('vscode.changes', changesTitle(s), resources);
  return changes;
}

/** The title of a session's Show Changes editor (its tab's label). */
function changesTitle(s: SessionInfo): string {
  return `${s.title} (${s.branch} since ${s.baseBranch} at ${s.baseCommit.slice(0, 7)})`;
}

export async function openWorktree(ctx: CommandContext, arg?: unknown) {
  const s = await resolveSession(ctx, arg, OPEN_STATUSES, 'open');
  if (!s) return;
  // A window on a folder that is not there opens empty, saying nothing of why.
  if (!existsSync(s.worktree)) {
    void vscode.window.showWarningMessage(`The worktree of "${s.title}" (${s.worktree}) is gone: deleted or moved outside Switchyard, or on a drive not mounted now. Its committed work is on ${s.branch}.`);
    return;
  }
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(s.worktree), { forceNewWindow: true });
}

export async function mergeSession(ctx: CommandContext, arg?: unknown, strategyArg?: unknown): Promise<MergeResult | undefined> {
  if (refusedUntrusted('no session is merged')) return undefined;
  const s = await resolveSession(ctx, arg, MERGEABLE_STATUSES, 'merge');
  if (!s) return undefined;
  let strategy = typeof strategyArg === 'string' ? (strategyArg as MergeStrategy) : undefined;
  // Started from a detached HEAD, its base is a commit: no strategy can land on it; and a session whose
  // branch and worktree change nothing has nothing to land (asked of the worktree as it is now: the user may
  // have committed there since). The host's refusal (which changes nothing) says why and what to do: three
  // strategies offered first would each end there.
  if (!strategy && (/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(s.baseBranch) || (await changesNothing(ctx, s)))) strategy = 'merge';
  if (!strategy) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'merge', description: 'a merge commit', detail: `Keeps the agent's commits and records the merge on ${s.baseBranch}.` },
        { label: 'squash', description: 'one commit', detail: `All of the session's work as a single commit on ${s.baseBranch}.` },
        { label: 'rebase', description: 'linear history', detail: `Replays the agent's commits on top of ${s.baseBranch}.` },
      ],
      // Not finished, its work lands as it is and it cannot be resumed after: said where the choice is made.
      { title: `Merge "${s.title}" into ${s.baseBranch}${s.status === 'done' ? '' : ` (it is ${s.status}: its work lands as it is, and it cannot be resumed after)`}` },
    );
    if (!pick) return undefined;
    strategy = pick.label as MergeStrategy;
  }
  const result = await guarded('merging', () => ctx.host.request(SessionsProtocol.merge, { sessionId: s.id, strategy: strategy! }));
  if (!result) return undefined;
  if (result.ok) {
    if (!result.worktreeKept) await closeEditorsOf(s);
    const merged = `Merged "${s.title}" into ${s.baseBranch} (${result.strategy}, ${result.commit.slice(0, 8)}).`;
    if (result.worktreeKept) void vscode.window.showWarningMessage(`${merged} ${result.worktreeKept}`);
    else void vscode.window.showInformationMessage(merged);
  } else if (result.reason === 'conflict') {
    const files = result.files.slice(0, 8).join(', ') + (result.files.length > 8 ? `, and ${result.files.length - 8} more` : '');
    const choice = await vscode.window.showWarningMessage(
      `"${s.title}" conflicts with ${s.baseBranch} in ${files}. Nothing was changed: resolve it in the session's worktree and commit there, then merge again.`,
      'Show Changes',
      'Open Worktree',
    );
    if (choice === 'Show Changes') await showChanges(ctx, s.id);
    if (choice === 'Open Worktree') await openWorktree(ctx, s.id);
  } else if (result.reason === 'nothing-to-merge') {
    // Its work is on the base already, or it made none: what is left to do with it is discard it.
    void vscode.window.showInformationMessage(`Not merged: ${result.message}. Nothing was changed.`, 'Discard…').then(choice => choice && void discardSession(ctx, s.id));
  } else {
    void vscode.window.showWarningMessage(`Not merged: ${result.message}`);
  }
  return result;
}

/** The session ended having changed no file, and its branch and worktree still change none. */
async function changesNothing(ctx: CommandContext, s: SessionInfo): Promise<boolean> {
  if (s.status !== 'done' || s.statusReason !== FINISHED_UNCHANGED) return false;
  const changes = await ctx.host.request(SessionsProtocol.changes, { sessionId: s.id }).catch(() => undefined);
  return changes !== undefined && changes.files.length === 0;
}

export async function discardSession(ctx: CommandContext, arg?: unknown, confirm?: unknown) {
  if (refusedUntrusted('no session is discarded')) return undefined;
  const s = await resolveSession(ctx, arg, discardable, 'discard');
  if (!s) return undefined;
  // The host stops a running agent before it looks at what would be lost: asked first, so that Cancel
  // leaves it running (`confirm`, given by a caller, answers for the user).
  if (ACTIVE_STATUSES.includes(s.status) && typeof confirm !== 'string') {
    const stopFirst = 'Stop and Discard';
    const answer = await vscode.window.showWarningMessage(
      `"${s.title}" is ${s.status}. Stop it and discard it?`,
      { modal: true, detail: 'Its agent is stopped first. Work that is not merged is then shown before anything is removed.' },
      stopFirst,
    );
    if (answer !== stopFirst) return undefined;
  }
  const first = await guarded('discarding', () => ctx.host.request(SessionsProtocol.discard, { sessionId: s.id }));
  if (first?.ok) await closeEditorsOf(s);
  if (!first || first.ok) return first;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const lost = [
    first.uncommittedFiles.length ? count(first.uncommittedFiles.length, 'uncommitted file') : '',
    first.unmergedCommits ? `${count(first.unmergedCommits, 'commit')} not merged into ${s.baseBranch}` : '',
    first.submoduleCommits ? `${count(first.submoduleCommits, 'commit')} in its submodules that no remote of theirs has` : '',
  ].filter(Boolean).join(' and ');
  const keep = 'Discard, Keep Branch';
  const drop = 'Discard and Delete Branch';
  // Uncommitted work need not be lost: committed to the branch first, it is kept with it.
  const commit = 'Commit to Branch, Then Discard';
  const uncommitted = first.uncommittedFiles.length > 0;
  const answer = typeof confirm === 'string' ? confirm : await vscode.window.showWarningMessage(
    `"${s.title}" has ${lost}.`,
    {
      modal: true,
      detail: `Discarding removes the worktree. Keeping the branch (${s.branch}) keeps its commits; ${uncommitted ? `"${commit}" commits the uncommitted files to it first, which are lost otherwise` : 'uncommitted files are lost'}.${first.submoduleCommits ? ' The submodules\' own commits are lost either way.' : ''} Files git ignores there go with the worktree.`,
    },
    ...(uncommitted ? [commit] : []),
    keep,
    drop,
  );
  if (answer !== keep && answer !== drop && answer !== commit) return first;
  const forced = await guarded('discarding', () => ctx.host.request(SessionsProtocol.discard, { sessionId: s.id, force: true, deleteBranch: answer === drop, ...(answer === commit ? { commitFirst: true } : {}) }));
  if (forced?.ok) await closeEditorsOf(s);
  return forced;
}

/**
 * Closes the editors of a session whose worktree is gone: its Show Changes, and its files' editors and
 * diffs. Left open, they would show its files as if they were still there. One with unsaved changes is
 * left for the user to decide on.
 */
async function closeEditorsOf(s: SessionInfo): Promise<void> {
  const inside = (uri: vscode.Uri | undefined) => uri?.scheme === 'file' && (uri.fsPath + path.sep).startsWith(s.worktree + path.sep);
  const title = changesTitle(s);
  const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(tab => {
    if (tab.isDirty) return false;
    const input = tab.input;
    if (input instanceof vscode.TabInputText) return inside(input.uri);
    if (input instanceof vscode.TabInputTextDiff) return inside(input.modified) || inside(input.original);
    // The multi-file diff editor's input is not in the stable API: known by the title Show Changes gave it
    // (VS Code adds the count of files: "… (3 files)").
    return tab.label === title || tab.label.startsWith(`${title} (`);
  });
  if (tabs.length) await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
}

export async function pruneWorktrees(ctx: CommandContext) {
  if (refusedUntrusted('no worktree is cleaned up')) return undefined;
  const repo = ctx.repo();
  if (!repo) {
    void vscode.window.showInformationMessage('Switchyard: open a folder inside a git repository to clean up its worktrees.');
    return undefined;
  }
  const r = await guarded('cleaning up worktrees', () => ctx.host.request(SessionsProtocol.pruneWorktrees, { repo }));
  if (r) void vscode.window.showInformationMessage(r.pruned.length ? `Cleaned up ${r.pruned.length} orphaned worktree(s); their branches are kept.` : 'No orphaned worktrees.');
  return r;
}
