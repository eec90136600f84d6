// Commands an agent asks to run: asked in a notification that shows the command, and answerable later from
// the session's row (Review Command…) for as long as the agent waits. Nothing is approved unseen: a command
// too long for a notification is shown whole in a dialog before it can be approved.
import * as vscode from 'vscode';
import type { ApprovalRequest, ApprovalResponse } from '../protocol/sessions';
import { Disposable } from './lifecycle';
import { hasLink, plainText } from './plainText';

/** Longest command shown whole in a notification (which wraps, but is a few lines high at most). */
const INLINE_MAX = 240;
const APPROVE = 'Approve';
const DENY = 'Deny';
const REVIEW = 'Review…';
/** Characters a notification would not show as they are (line breaks, controls, bidirectional overrides). */
const HIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** How a question ended: answered; or not, as the host stopped asking (`withdrawn`) or asked anew (`replaced`). */
type Settled = 'approved' | 'denied' | 'withdrawn' | 'replaced';

interface Pending {
  req: ApprovalRequest;
  settle(how: Settled): void;
  /** How it ended, for a notification clicked after that (VS Code cannot take a notification back). */
  settled?: Settled;
}

export class Approvals extends Disposable {
  private readonly pending = new Map<string, Pending>();

  /** Resolves with the user's answer, or a refusal when the host stops asking (the session was paused or stopped). */
  ask(req: ApprovalRequest, cancelled: vscode.CancellationToken): Promise<ApprovalResponse> {
    // A new question from the same session replaces one its host gave up on.
    this.pending.get(req.sessionId)?.settle('replaced');
    return new Promise<ApprovalResponse>(resolve => {
      let stop: vscode.Disposable | undefined;
      const entry: Pending = {
        req,
        settle: how => {
          if (this.pending.get(req.sessionId) !== entry) return;
          this.pending.delete(req.sessionId);
          entry.settled = how;
          stop?.dispose();
          resolve({ approved: how === 'approved' });
        },
      };
      this.pending.set(req.sessionId, entry);
      if (cancelled.isCancellationRequested) return entry.settle('withdrawn');
      stop = cancelled.onCancellationRequested(() => entry.settle('withdrawn'));
      void this.notify(entry);
    });
  }

  /** The host that asked is gone (crashed, restarted): nobody waits for these answers any more. */
  withdrawAll(): void {
    for (const p of [...this.pending.values()]) p.settle('withdrawn');
  }

  isWaiting(sessionId: string): boolean {
    return this.pending.has(sessionId);
  }

  /** Shows the whole command in a dialog; closing it leaves the question open. */
  async review(sessionId: string): Promise<void> {
    const p = this.pending.get(sessionId);
    if (!p) return;
    const choice = await vscode.window.showWarningMessage(
      `"${p.req.title}" wants to run this command in its worktree.`,
      { modal: true, detail: `${p.req.command}\n\nin ${p.req.cwd}` },
      APPROVE,
      DENY,
    );
    if (choice === APPROVE) p.settle('approved');
    else if (choice === DENY) p.settle('denied');
  }

  private async notify(p: Pending): Promise<void> {
    const { command } = p.req;
    const title = plainText(p.req.title);
    // A command with link syntax is shown only in the dialog, whose detail is plain text.
    const inline = !HIDDEN_CHARS.test(command) && !hasLink(command) && command.length <= INLINE_MAX;
    const choice = inline
      ? await vscode.window.showWarningMessage(`Switchyard: "${title}" wants to run: ${command}`, APPROVE, DENY, REVIEW)
      : await vscode.window.showWarningMessage(`Switchyard: "${title}" wants to run a command of ${lineCount(command)} (${command.length} characters). Review it to approve it.`, REVIEW, DENY);
    if (this.pending.get(p.req.sessionId) !== p) {
      if (choice !== undefined) await this.answeredBefore(p);
      return;
    }
    if (choice === APPROVE) p.settle('approved');
    else if (choice === DENY) p.settle('denied');
    else if (choice === REVIEW) await this.review(p.req.sessionId);
    // Closed without an answer: the session stays waiting, answerable from its row.
  }

  /** A button of a question settled since (from the row, or the host gave up on it): said, never silently ignored. */
  private async answeredBefore(p: Pending): Promise<void> {
    const title = plainText(p.req.title);
    const how = { approved: 'was approved already', denied: 'was denied already', withdrawn: 'is no longer asked (the session was paused or stopped)', replaced: 'is no longer asked' }[p.settled ?? 'withdrawn'];
    const next = this.pending.get(p.req.sessionId);
    if (!next) {
      void vscode.window.showInformationMessage(`Switchyard: that command of "${title}" ${how}; nothing was changed.`);
      return;
    }
    const choice = await vscode.window.showInformationMessage(`Switchyard: that command of "${title}" ${how}; nothing was changed. It asks about another command now.`, REVIEW);
    if (choice === REVIEW) await this.review(p.req.sessionId);
  }

  override dispose(): void {
    this.withdrawAll();
    super.dispose();
  }
}

function lineCount(text: string): string {
  const n = text.split('\n').length;
  return n === 1 ? 'one line' : `${n} lines`;
}
