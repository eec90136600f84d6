// The Spend view in the sidebar: a webview that draws the month from the host's series.
import * as vscode from 'vscode';
import { SpendProtocol } from '../../protocol/spend';
import type { FromWebviewMessage, ToWebview } from '../../protocol/webview';
import type { HostClient } from '../hostClient';
import { Throttle } from '../../host/util/throttle';
import { Disposable } from '../lifecycle';
import type { SessionState } from '../sessionState';
import { WebviewChannel, webviewHtml, webviewOptions } from './webviewHtml';

const REFRESH_MS = 500;

export class SpendView extends Disposable implements vscode.WebviewViewProvider {
  static readonly id = 'switchyard.spend';
  private view: vscode.WebviewView | undefined;
  private channel: WebviewChannel | undefined;
  private readonly throttle = new Throttle(REFRESH_MS, () => void this.push());
  /** Resolves each time the view has drawn fresh state (tests wait on it). */
  private readonly renderedEmitter = this.register(new vscode.EventEmitter<void>());
  readonly onDidRender = this.renderedEmitter.event;
  private lastShown: ToWebview['spend/state'] | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: HostClient,
    state: SessionState,
  ) {
    super();
    this.register(state.onDidChangeSpend(() => this.view?.visible && this.throttle.trigger()));
    this.register({ dispose: () => this.throttle.dispose() });
    // The empty state's first action depends on it (New Session, or Manage Workspace Trust).
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.view?.visible && void this.push()));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = webviewOptions(this.extensionUri);
    this.channel?.dispose();
    this.channel = new WebviewChannel(view.webview, m => void this.onMessage(m), () => void this.push());
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'spend', 'Spend');
    view.onDidChangeVisibility(() => view.visible && void this.push());
    view.onDidDispose(() => {
      this.channel?.dispose();
      this.channel = undefined;
      this.view = undefined;
    });
  }

  get isResolved(): boolean {
    return Boolean(this.view);
  }

  /** What the view was last given to draw (the integration tests read the rows from it). */
  get shown(): ToWebview['spend/state'] | undefined {
    return this.lastShown;
  }

  private async push(): Promise<void> {
    if (!this.channel || !this.view) return;
    try {
      const [summary, series] = await Promise.all([
        this.host.request(SpendProtocol.summary, undefined),
        this.host.request(SpendProtocol.series, {}),
      ]);
      // The month's sessions of every repository, as its money is: this window's own are only some of them.
      const body = { summary, series, sessions: series.monthSessions, trusted: vscode.workspace.isTrusted };
      this.channel?.post({ type: 'spend/state', body });
      this.lastShown = body;
      this.renderedEmitter.fire();
    } catch {
      // the host is restarting; the next notification redraws
    }
  }

  private async onMessage(m: FromWebviewMessage): Promise<void> {
    switch (m.type) {
      case 'spend/newSession':
        await vscode.commands.executeCommand('switchyard.newSession');
        break;
      case 'spend/manageTrust':
        await vscode.commands.executeCommand('workbench.trust.manage');
        break;
      case 'spend/setBudgets':
        await vscode.commands.executeCommand('switchyard.setBudgets');
        break;
      case 'spend/export':
        await vscode.commands.executeCommand('switchyard.exportSpend');
        break;
      case 'spend/openSession':
        await vscode.commands.executeCommand('switchyard.openTranscript', m.body.sessionId);
        break;
      default:
        break;
    }
  }
}
