// The extension's one connection to the agent host: a separate Node process started over IPC with
// vscode-languageclient, restarted when it crashes. Every request waits for the host's ready notification.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type NotificationType,
  type RequestType,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { HOST_NODE_FLAGS, hostEnv, hostPriorityArgs, HostProtocol, type HostPriority, type HostReady, type HostSettings } from '../protocol/host';
import { SessionsProtocol, type ApprovalRequest, type ApprovalResponse } from '../protocol/sessions';
import { Disposable, DisposableStore } from './lifecycle';

export type HostState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export class HostClient extends Disposable {
  private client: LanguageClient | undefined;
  private ready: Promise<HostReady>;
  private resolveReady!: (r: HostReady) => void;
  private readonly perHost = this.register(new DisposableStore());
  private readonly stateEmitter = this.register(new vscode.EventEmitter<HostState>());
  private readonly readyEmitter = this.register(new vscode.EventEmitter<HostReady>());
  private crashes: number[] = [];
  private currentState: HostState = 'stopped';
  private readonly listeners: { type: NotificationType<unknown>; handler: (p: unknown) => void }[] = [];
  private approvalHandler: ((r: ApprovalRequest, withdrawn: vscode.CancellationToken) => Promise<ApprovalResponse>) | undefined;

  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires each time a host (first or restarted) reports ready. */
  readonly onDidBecomeReady = this.readyEmitter.event;

  constructor(
    private readonly extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    private readonly configuration: () => Promise<{ settings: HostSettings; apiKey?: string }>,
    private readonly priority: () => HostPriority,
  ) {
    super();
    this.ready = this.newReadyPromise();
  }

  get state(): HostState {
    return this.currentState;
  }

  whenReady(): Promise<HostReady> {
    return this.ready;
  }

  async start(): Promise<void> {
    const module = path.join(this.extensionPath, 'dist', 'host.js');
    const execArgv = [...HOST_NODE_FLAGS];
    const env = hostEnv(process.env);
    const args = hostPriorityArgs(this.priority());
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc, args, options: { execArgv, env } },
      debug: { module, transport: TransportKind.ipc, args, options: { execArgv: [...execArgv, '--nolazy', '--inspect=6019'], env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: {},
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => this.onHostClosed(),
      },
    };
    const client = new LanguageClient('switchyard.host', 'Switchyard Agent Host', serverOptions, clientOptions);
    this.client = client;
    this.setState('starting');
    this.perHost.add(client.onNotification(HostProtocol.ready, r => void this.onHostReady(r)));
    for (const l of this.listeners) this.perHost.add(client.onNotification(l.type, l.handler));
    this.perHost.add(client.onRequest(SessionsProtocol.approval, async (req, withdrawn) =>
      this.approvalHandler ? this.approvalHandler(req, withdrawn) : { approved: false }));
    this.perHost.add(client.onDidChangeState(e => {
      if (e.newState === State.Stopped && this.currentState === 'ready') this.setState('restarting');
    }));
    try {
      await client.start();
    } catch (err) {
      this.setState('failed');
      this.log.error(`The agent host did not start: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
  }

  /** "Switchyard: Restart Agent Host": a clean stop and a fresh process; sessions come back from disk. */
  async restart(): Promise<void> {
    this.log.info('Restarting the agent host');
    await this.stopClient();
    this.ready = this.newReadyPromise();
    await this.start();
    await this.ready;
  }

  /** The settings push under way, if any; requests wait for it. */
  private configuring: Promise<void> = Promise.resolve();

  async request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    await this.ready;
    // A request made right after a settings change (a new session once the base URL is fixed) is
    // served with the new settings: their push reads the API key first, which takes a moment.
    await this.configuring;
    const client = this.client;
    if (!client) throw new Error('The agent host is not running.');
    // The typed signature above is the contract; the method-name overload avoids a generic mismatch.
    return client.sendRequest<R>(type.method, params);
  }

  async notify<P>(type: NotificationType<P>, params: P): Promise<void> {
    await this.ready;
    await this.client?.sendNotification(type.method, params);
  }

  /** Listeners survive host restarts: they are re-attached to each new client. */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): vscode.Disposable {
    const entry = { type: type as NotificationType<unknown>, handler: handler as (p: unknown) => void };
    this.listeners.push(entry);
    if (this.client) this.perHost.add(this.client.onNotification(type, handler));
    return new vscode.Disposable(() => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners.splice(i, 1);
    });
  }

  setApprovalHandler(handler: (r: ApprovalRequest, withdrawn: vscode.CancellationToken) => Promise<ApprovalResponse>): void {
    this.approvalHandler = handler;
  }

  /** Sends the current settings (and key) to the running host. */
  pushConfiguration(): Promise<void> {
    const push = this.configuring.then(() => this.sendConfiguration());
    this.configuring = push.catch(() => undefined);
    return push;
  }

  private async sendConfiguration(): Promise<void> {
    const client = this.client;
    if (!client || this.currentState !== 'ready') return;
    const configuration = await this.configuration();
    // A host that stops meanwhile (a restart) is not told; its successor gets the settings when it is ready.
    if (client !== this.client || !client.isRunning()) return;
    try {
      await client.sendNotification(HostProtocol.configure, configuration);
    } catch (err) {
      if (client === this.client && client.isRunning()) this.log.warn(`Sending settings to the agent host: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  override dispose(): void {
    void this.stopClient();
    super.dispose();
  }

  private async onHostReady(r: HostReady): Promise<void> {
    // Configure before anyone's first request: the ready promise resolves after the settings are in.
    await this.client?.sendNotification(HostProtocol.configure, await this.configuration());
    this.log.info(`Agent host ready (pid ${r.pid}, home ${r.home}, gateway 127.0.0.1:${r.gatewayPort})`);
    this.setState('ready');
    this.resolveReady(r);
    this.readyEmitter.fire(r);
  }

  private onHostClosed(): CloseHandlerResult {
    const now = Date.now();
    this.crashes = this.crashes.filter(t => now - t < 180_000);
    this.crashes.push(now);
    if (this.crashes.length > 4) {
      this.setState('failed');
      this.log.error('The agent host crashed 5 times in 3 minutes; not restarting. Run "Switchyard: Restart Agent Host".');
      return { action: CloseAction.DoNotRestart, message: 'The Switchyard agent host keeps crashing. See the Switchyard log.' };
    }
    this.log.warn('The agent host stopped unexpectedly; restarting it. Running sessions come back paused.');
    this.ready = this.newReadyPromise();
    this.setState('restarting');
    return { action: CloseAction.Restart, handled: true };
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.perHost.clear();
    this.setState('stopped');
    if (client?.isRunning()) {
      try {
        await client.stop(5000);
      } catch (err) {
        this.log.warn(`Stopping the agent host: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private newReadyPromise(): Promise<HostReady> {
    return new Promise<HostReady>(resolve => (this.resolveReady = resolve));
  }

  private setState(s: HostState): void {
    if (s === this.currentState) return;
    this.currentState = s;
    void vscode.commands.executeCommand('setContext', 'switchyard.hostReady', s === 'ready');
    void vscode.commands.executeCommand('setContext', 'switchyard.hostFailed', s === 'failed');
    this.stateEmitter.fire(s);
  }
}
