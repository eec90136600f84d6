// The one HTML shell every Switchyard webview uses: strict CSP with a nonce, only local resources, the
// shared bundle and stylesheet, codicons. The script decides which view it is from data-view.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { FromWebviewMessage, ToWebviewMessage } from '../../protocol/webview';

export type WebviewKind = 'spend' | 'transcript';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist')] };
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, kind: WebviewKind, title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', name)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${title.replace(/[<>&"]/g, '')}</title>
<link href="${asset('codicon.css')}" rel="stylesheet">
<link href="${asset('webview.css')}" rel="stylesheet">
</head>
<body data-view="${kind}">
<div id="app"></div>
<script nonce="${nonce}" src="${asset('webview.js')}"></script>
</body>
</html>`;
}

/** Typed posting that waits for the webview's `ready` handshake; messages before it are queued. */
export class WebviewChannel implements vscode.Disposable {
  private ready = false;
  private queue: ToWebviewMessage[] = [];
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly webview: vscode.Webview,
    onMessage: (m: FromWebviewMessage) => void,
    onReady: () => void,
  ) {
    this.subscription = webview.onDidReceiveMessage((m: FromWebviewMessage) => {
      if (m?.type === 'ready') {
        this.ready = true;
        onReady();
        for (const q of this.queue.splice(0)) void this.webview.postMessage(q);
        return;
      }
      onMessage(m);
    });
  }

  get isReady(): boolean {
    return this.ready;
  }

  /**
   * The webview is gone (hidden, without retainContext): wait for a new handshake. What was queued is
   * dropped: the owner sends the whole state again when the new one says it is ready.
   */
  reset(): void {
    this.ready = false;
    this.queue = [];
  }

  post(m: ToWebviewMessage): void {
    if (this.ready) void this.webview.postMessage(m);
    else {
      // Only the newest state matters for a view that is not listening yet.
      this.queue = this.queue.filter(q => q.type !== m.type || m.type === 'transcript/append');
      this.queue.push(m);
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
