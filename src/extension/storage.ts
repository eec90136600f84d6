// Every key Switchyard stores, declared once. Secrets live only in SecretStorage.
import * as vscode from 'vscode';

export const SecretKeys = {
  apiKey: 'switchyard.apiKey',
} as const;

export const StateKeys = {
  /** Workspace state: the session filter typed in the Sessions view. */
  sessionFilter: 'switchyard.sessionFilter',
  /** Workspace state: the session the status-bar tier item acts on when nothing is selected. */
  activeSession: 'switchyard.activeSession',
  /** Workspace state: pauses (session and time) of sessions whose process ended, that this window offered to resume. */
  resumeOffered: 'switchyard.resumeOffered',
  /** Workspace state: the session whose transcript tab is the preview, so a reload restores it as one. */
  previewTranscript: 'switchyard.previewTranscript',
  /** Workspace state: of several repositories open in the window, the one whose sessions it shows and starts. */
  repository: 'switchyard.repository',
} as const;

export class ApiKeyStore {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly secrets: vscode.SecretStorage) {
    secrets.onDidChange(e => {
      if (e.key === SecretKeys.apiKey) this.changed.fire();
    });
  }

  /** The stored key, else OPENAI_API_KEY from the environment VS Code was started with. */
  async get(): Promise<string | undefined> {
    const stored = await this.secrets.get(SecretKeys.apiKey);
    // A key of blanks (an unset variable exported as " ") is no key: it would go to the server as "Bearer  ".
    return stored?.trim() || process.env.OPENAI_API_KEY?.trim() || undefined;
  }

  async hasStoredKey(): Promise<boolean> {
    return Boolean(await this.secrets.get(SecretKeys.apiKey));
  }

  set(key: string): Thenable<void> {
    return this.secrets.store(SecretKeys.apiKey, key.trim());
  }

  clear(): Thenable<void> {
    return this.secrets.delete(SecretKeys.apiKey);
  }
}
