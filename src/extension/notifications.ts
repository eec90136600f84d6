// What the host tells the user: alerts for stuck, over-budget and failed sessions, each with the actions
// that resolve it. (Approvals for commands: approvals.ts.) Alerts that arrive together with one cause (a
// daily cap reached by a fleet, one refused key failing every session) are one notification, not one per
// session.
import * as vscode from 'vscode';
import type { SessionAlert } from '../protocol/sessions';
import { failedAlert } from './commands/startRefusal';
import { Disposable } from './lifecycle';
import { plainText } from './plainText';

/** How long alerts are gathered before they are shown: a fleet's sessions hit a cap within moments. */
const GATHER_MS = 400;

export class SessionAlerts extends Disposable {
  private gathered: SessionAlert[] = [];
  private timer: NodeJS.Timeout | undefined;

  push(a: SessionAlert): void {
    // A warning shows on the session's row; a toast for each would be noise with many agents.
    if (a.kind === 'warn') return;
    // Titles and reasons carry text from agents and model servers: shown as text, never as links.
    this.gathered.push({ ...a, title: plainText(a.title), message: plainText(a.message) });
    this.timer ??= setTimeout(() => this.flush(), GATHER_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const groups = new Map<string, SessionAlert[]>();
    for (const a of this.gathered.splice(0)) {
      const key = causeOf(a);
      groups.set(key, [...(groups.get(key) ?? []), a]);
    }
    for (const group of groups.values()) {
      if (group.length === 1) showOne(group[0]!);
      else showMany(group);
    }
  }

  override dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    super.dispose();
  }
}

/** Alerts with one cause, which one action resolves for all of them. */
function causeOf(a: SessionAlert): string {
  if (a.kind === 'over-budget' && (a.capScope === 'day' || a.capScope === 'month')) return `cap:${a.capScope}`;
  if (a.kind === 'failed') return `failed:${a.message}`;
  if (a.kind === 'stuck') return 'stuck';
  return `${a.kind}:${a.sessionId}`;
}

function run(command: string, ...args: unknown[]): void {
  void vscode.commands.executeCommand(command, ...args);
}

function showOne(a: SessionAlert): void {
  switch (a.kind) {
    case 'stuck':
      // The guard's reason starts with its step ("Stuck, paused for you…", "Stopped…"); stopped, there is nothing to stop.
      void vscode.window.showWarningMessage(`Switchyard: "${a.title}": ${a.message}`, ...(a.stopped ? ['Resume with a Hint…', 'Open Transcript'] : ['Resume', 'Resume with a Hint…', 'Stop', 'Open Transcript'])).then(choice => {
        const command = choice === 'Resume' ? 'switchyard.resumeSession'
          : choice === 'Resume with a Hint…' ? 'switchyard.resumeWithHint'
            : choice === 'Stop' ? 'switchyard.stopSession'
              : choice === 'Open Transcript' ? 'switchyard.openTranscript' : undefined;
        if (command) run(command, a.sessionId);
      });
      break;
    case 'over-budget': {
      // The fix offered first is the cap that stopped it: the session's own budget, or the machine's caps
      // (raising the session's budget would change nothing then).
      const machineCap = a.capScope === 'day' || a.capScope === 'month';
      const actions = machineCap ? ['Set Caps…', 'Resume', 'Open Transcript'] : ['Raise Budget…', 'Set Caps…', 'Open Transcript'];
      void vscode.window.showWarningMessage(`Switchyard: "${a.title}" paused: ${a.message}`, ...actions).then(async choice => {
        if (choice === 'Raise Budget…') run('switchyard.raiseSessionBudget', a.sessionId);
        else if (choice === 'Set Caps…') {
          if (await setCaps(a) && (await vscode.window.showInformationMessage(`Resume "${a.title}"?`, 'Resume')) === 'Resume') {
            run('switchyard.resumeSession', a.sessionId);
          }
        } else if (choice === 'Resume') run('switchyard.resumeSession', a.sessionId);
        else if (choice === 'Open Transcript') run('switchyard.openTranscript', a.sessionId);
      });
      break;
    }
    case 'failed': {
      const { message, actions, fix } = failedAlert(a.message, a.apiKeyRefused === true);
      void vscode.window.showErrorMessage(`Switchyard: "${a.title}" failed: ${message}`, ...actions).then(async choice => {
        if (fix && choice === fix.action) run(fix.command, ...fix.args);
        else if (choice === 'Retry') run('switchyard.retrySession', a.sessionId);
        else if (choice === 'Open Transcript') run('switchyard.openTranscript', a.sessionId);
        else if (choice === 'Set API Key…') {
          if (await vscode.commands.executeCommand<boolean>('switchyard.setApiKey', undefined, true) && (await vscode.window.showInformationMessage(`Switchyard: API key saved. Retry "${a.title}" with it?`, 'Retry')) === 'Retry') {
            run('switchyard.retrySession', a.sessionId);
          }
        }
      });
      break;
    }
    case 'warn':
      break;
  }
}

function showMany(group: readonly SessionAlert[]): void {
  const first = group[0]!;
  const n = group.length;
  const ids = group.map(a => a.sessionId);
  const showSessions = 'Show Sessions';
  const then = (choice: string | undefined, act: Record<string, () => unknown>) => {
    if (choice === showSessions) run('switchyard.sessions.focus');
    else if (choice) void act[choice]?.();
  };
  switch (first.kind) {
    case 'over-budget':
      // Only the day and month caps are grouped: the same cap stopped them all.
      void vscode.window.showWarningMessage(`Switchyard: ${n} sessions paused: ${first.message}`, 'Set Caps…', showSessions).then(choice => then(choice, {
        'Set Caps…': async () => {
          if (await setCaps(first) && (await vscode.window.showInformationMessage(`Resume the ${n} sessions the cap paused?`, 'Resume All')) === 'Resume All') {
            for (const id of ids) await vscode.commands.executeCommand('switchyard.resumeSession', id);
          }
        },
      }));
      break;
    case 'failed': {
      // One cause (one base URL never reached): its fix, if it has one, is offered once for them all.
      const { message, fix } = failedAlert(first.message, false);
      void vscode.window.showErrorMessage(`Switchyard: ${n} sessions failed: ${message}`, ...(fix ? [fix.action] : []), 'Retry All', showSessions).then(choice => then(choice, {
        ...(fix ? { [fix.action]: () => run(fix.command, ...fix.args) } : {}),
        'Retry All': async () => {
          for (const id of ids) await vscode.commands.executeCommand('switchyard.retrySession', id);
        },
      }));
      break;
    }
    case 'stuck':
      void vscode.window.showWarningMessage(`Switchyard: ${n} sessions look stuck (${group.map(a => `"${a.title}"`).join(', ')}). Each says why in the Sessions view.`, showSessions).then(choice => then(choice, {}));
      break;
    default:
      group.forEach(showOne);
  }
}

/** Opens the setting of the cap that stopped the session; true when it was a machine cap (day or month). */
async function setCaps(a: SessionAlert): Promise<boolean> {
  const machineCap = a.capScope === 'day' || a.capScope === 'month';
  await vscode.commands.executeCommand('switchyard.setBudgets', ...(machineCap ? [`budget.${a.capScope === 'month' ? 'monthUsd' : 'dayUsd'}`] : []));
  return machineCap;
}
