// What the host tells the user: alerts for stuck, over-budget and failed sessions, each with the actions
// that resolve it. (Approvals for commands: approvals.ts.)
import * as vscode from 'vscode';
import type { SessionAlert } from '../protocol/sessions';

export function showAlert(a: SessionAlert): void {
  switch (a.kind) {
    case 'stuck':
      void vscode.window.showWarningMessage(`Switchyard: "${a.title}" looks stuck: ${a.message}`, 'Resume', 'Resume with a Hint…', 'Stop', 'Open Transcript').then(choice => {
        const command = choice === 'Resume' ? 'switchyard.resumeSession'
          : choice === 'Resume with a Hint…' ? 'switchyard.resumeWithHint'
            : choice === 'Stop' ? 'switchyard.stopSession'
              : choice === 'Open Transcript' ? 'switchyard.openTranscript' : undefined;
        if (command) void vscode.commands.executeCommand(command, a.sessionId);
      });
      break;
    case 'over-budget': {
      // The fix offered first is the cap that stopped it: the session's own budget, or the machine's caps
      // (raising the session's budget would change nothing then).
      const machineCap = a.capScope === 'day' || a.capScope === 'month';
      const actions = machineCap ? ['Set Caps…', 'Resume', 'Open Transcript'] : ['Raise Budget…', 'Set Caps…', 'Open Transcript'];
      void vscode.window.showWarningMessage(`Switchyard: "${a.title}" paused: ${a.message}`, ...actions).then(async choice => {
        if (choice === 'Raise Budget…') void vscode.commands.executeCommand('switchyard.raiseSessionBudget', a.sessionId);
        else if (choice === 'Set Caps…') {
          await vscode.commands.executeCommand('switchyard.setBudgets', ...(machineCap ? [`budget.${a.capScope === 'month' ? 'monthUsd' : 'dayUsd'}`] : []));
          if (machineCap && (await vscode.window.showInformationMessage(`Resume "${a.title}"?`, 'Resume')) === 'Resume') {
            void vscode.commands.executeCommand('switchyard.resumeSession', a.sessionId);
          }
        } else if (choice === 'Resume') void vscode.commands.executeCommand('switchyard.resumeSession', a.sessionId);
        else if (choice === 'Open Transcript') void vscode.commands.executeCommand('switchyard.openTranscript', a.sessionId);
      });
      break;
    }
    case 'failed':
    case 'sandbox':
      void vscode.window.showErrorMessage(`Switchyard: "${a.title}": ${a.message}`, 'Open Transcript').then(choice => {
        if (choice) void vscode.commands.executeCommand('switchyard.openTranscript', a.sessionId);
      });
      break;
    case 'warn':
      // Shown on the session row; a toast for every warning would be noise with many agents.
      break;
  }
}
