// The left side of a session's diff: files as they were at the session's base commit, read through the
// host (the right side is the live file in the worktree).
import * as vscode from 'vscode';
import { SessionsProtocol } from '../protocol/sessions';
import type { HostClient } from './hostClient';

export const BASE_SCHEME = 'switchyard-base';

export function baseUri(sessionId: string, relPath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: BASE_SCHEME, path: `/${relPath}`, query: new URLSearchParams({ session: sessionId }).toString() });
}

export class BaseContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly host: HostClient) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const sessionId = new URLSearchParams(uri.query).get('session') ?? '';
    const { content } = await this.host.request(SessionsProtocol.fileAtBase, { sessionId, path: uri.path.replace(/^\//, '') });
    return content ?? '';
  }
}
