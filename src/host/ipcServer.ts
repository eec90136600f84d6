// The agent host's IPC face: started by the extension through vscode-languageclient (IPC transport).
// All logic lives in the engine; this file only translates between JSON-RPC and engine calls.
import { CancellationTokenSource, createConnection, ProposedFeatures, type Connection } from 'vscode-languageserver/node';
import { HostProtocol } from '../protocol/host';
import { SessionsProtocol } from '../protocol/sessions';
import { SpendProtocol } from '../protocol/spend';
import { Engine } from './engine';
import type { EngineSink } from './events';
import { HANDLERS } from './handlers';
import type { HandlerDef, Progress } from './handlers/handler';
import { switchyardHome } from './home';
import { DEFAULT_SETTINGS } from './settings';

export function startIpcServer(): void {
  const connection: Connection = createConnection(ProposedFeatures.all);
  let engine: Engine | undefined;

  const sink: EngineSink = {
    sessionsChanged: (sessions, removed) => void connection.sendNotification(SessionsProtocol.changed, { sessions, removed }),
    transcriptEvents: (sessionId, from, events) => void connection.sendNotification(SessionsProtocol.transcriptEvents, { sessionId, from, events }),
    alert: alert => void connection.sendNotification(SessionsProtocol.alert, alert),
    spendChanged: summary => void connection.sendNotification(SpendProtocol.changed, summary),
    approval: async (req, signal) => {
      // Withdrawn in the window too when the session stops waiting, so no stale question is left to answer.
      const withdraw = new CancellationTokenSource();
      const onAbort = () => withdraw.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        return await connection.sendRequest(SessionsProtocol.approval, req, withdraw.token);
      } finally {
        signal.removeEventListener('abort', onAbort);
        withdraw.dispose();
      }
    },
    log: (level, message) => {
      if (level === 'error') connection.console.error(message);
      else if (level === 'warn') connection.console.warn(message);
      else connection.console.info(message);
    },
  };

  connection.onInitialize(() => ({
    capabilities: {},
    serverInfo: { name: 'switchyard-host', version: SWITCHYARD_VERSION },
  }));

  connection.onInitialized(async () => {
    try {
      engine = await Engine.start({ home: switchyardHome(), settings: DEFAULT_SETTINGS, headless: false, sink });
    } catch (err) {
      connection.console.error(`The agent host could not start: ${errorText(err)}`);
      process.exit(1);
    }
    for (const def of HANDLERS) register(def as HandlerDef<unknown, unknown>, engine);
    connection.onNotification(HostProtocol.configure, ({ settings, apiKey }) => engine?.configure(settings, apiKey));
    connection.onRequest(HostProtocol.ping, () => ({ pid: process.pid, sessions: engine?.sessions.count() ?? 0 }));
    connection.sendNotification(HostProtocol.ready, {
      version: SWITCHYARD_VERSION, pid: process.pid, home: engine.home, gatewayPort: engine.gatewayPort,
    });
  });

  function register(def: HandlerDef<unknown, unknown>, e: Engine): void {
    connection.onRequest(def.type, async params => {
      if (!def.progressTitle) return def.handle(e, params, { report: () => {} });
      const work = await connection.window.createWorkDoneProgress().catch(() => undefined);
      work?.begin(def.progressTitle, undefined, undefined, false);
      const progress: Progress = { report: (message, percentage) => work?.report(percentage ?? 0, message) };
      try {
        return await def.handle(e, params, progress);
      } finally {
        work?.done();
      }
    });
  }

  connection.onShutdown(async () => {
    await engine?.shutdown();
  });

  function errorText(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
  }

  connection.listen();
}
