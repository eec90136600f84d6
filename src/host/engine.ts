// The engine: Switchyard's whole logic behind one object, with no editor and no transport. The IPC host
// (src/host/main.ts) and the CLI (src/cli) both drive it; tests drive it directly.
import { randomBytes } from 'node:crypto';
import type { HostSettings } from '../protocol/host';
import type { EngineOptions, EngineSink } from './events';
import { BudgetKeeper } from './budgets/budgetKeeper';
import { Gateway } from './gateway/gateway';
import { homeLayout, type HomeLayout } from './home';
import { Ledger } from './ledger/ledger';
import { writeMachineConfig } from './machineConfig';
import { loadPriceTable, type PriceTable } from './pricing/priceTable';
import { commandSetupFor } from './sandbox/commandSetup';
import { disposeSandboxRuntime } from './sandbox/runtime';
import { effectiveBaseURL, withDefaults } from './settings';
import { FingerprintCache } from './sessions/fingerprints';
import { SessionLabels } from './sessions/sessionLabels';
import { SessionManager } from './sessions/sessionManager';
import { SessionStore } from './sessions/sessionStore';
import { SpendService } from './spend/spendService';

export class Engine {
  readonly layout: HomeLayout;
  readonly sessions: SessionManager;
  readonly spend: SpendService;
  readonly gateway: Gateway;
  private settingsValue: HostSettings;
  private apiKeyValue: string | undefined;
  private prices: PriceTable;
  private readonly budgets: BudgetKeeper;

  private constructor(
    o: EngineOptions,
    readonly ledger: Ledger,
    private readonly sink: EngineSink,
  ) {
    this.layout = homeLayout(o.home);
    this.settingsValue = withDefaults(o.settings);
    this.apiKeyValue = o.apiKey;
    this.prices = this.loadPrices();
    const log = (level: 'info' | 'warn' | 'error', message: string) => sink.log(level, message);
    const budgets = (this.budgets = new BudgetKeeper({ ledger, dir: this.layout.ledgerDir, prices: () => this.prices }));
    this.spend = new SpendService({
      ledger,
      budgets,
      prices: () => this.prices,
      settings: () => this.settingsValue,
      sink,
      sessionTitle: id => this.sessions.find(id)?.record.title,
      sessionsElsewhere: new SessionLabels({ reposDir: this.layout.reposDir, onFound: () => this.spend.changed() }),
      cacheBreakLossUsd: () => this.sessions.all().reduce((sum, s) => sum + s.record.cacheBreakLossUsd, 0),
    });
    this.gateway = new Gateway({
      ledger,
      budgets,
      prices: () => this.prices,
      upstream: () => {
        const baseURL = effectiveBaseURL(this.settingsValue);
        return { baseURL, apiKey: this.apiKeyValue, headers: this.settingsValue.extraHeaders, isOpenAI: /^https:\/\/api\.openai\.com\//.test(baseURL + '/') };
      },
      guardSettings: () => this.settingsValue.guard,
      maxOutputTokens: () => this.settingsValue.maxOutputTokens,
      headless: o.headless,
      log,
      onReservationReleased: () => this.spend.changed(),
    });
    this.sessions = new SessionManager({
      home: this.layout,
      store: new SessionStore(this.layout),
      gateway: this.gateway,
      spend: this.spend,
      fingerprints: new FingerprintCache(msg => log('warn', msg)),
      sink,
      hostId: `${process.pid}-${randomBytes(4).toString('hex')}`,
      headless: o.headless,
      passive: o.passive ?? false,
      settings: () => this.settingsValue,
      apiKey: () => this.apiKeyValue,
      commands: s => commandSetupFor(s, this.settingsValue, this.layout, log),
      log,
    });
    ledger.onRecords((_, unannounced) => this.onLedgerRecords(unannounced));
  }

  static async start(o: EngineOptions): Promise<Engine> {
    const layout = homeLayout(o.home);
    const ledger = await Ledger.open(layout.ledgerDir, { log: (level, msg) => o.sink.log(level, msg) });
    ledger.watch();
    const engine = new Engine(o, ledger, o.sink);
    await engine.gateway.listen();
    return engine;
  }

  get home(): string {
    return this.layout.root;
  }

  get gatewayPort(): number {
    return this.gateway.port;
  }

  get settings(): HostSettings {
    return this.settingsValue;
  }

  /** New settings from the editor; the machine-wide part is saved for CLI runs to honour too. */
  configure(settings: HostSettings, apiKey?: string): void {
    this.settingsValue = withDefaults(settings);
    void writeMachineConfig(this.layout.root, this.settingsValue).catch(err => this.sink.log('warn', `Saving ${this.layout.root}/config.json: ${(err as Error).message}`));
    this.apiKeyValue = apiKey || undefined;
    this.prices = this.loadPrices();
    this.sessions.onSettingsChanged();
    this.spend.changed();
  }

  private loadPrices(): PriceTable {
    try {
      return loadPriceTable(this.settingsValue.prices);
    } catch (err) {
      this.sink.log('error', `switchyard.prices is not valid (${(err as Error).message}); using the shipped price table.`);
      return loadPriceTable();
    }
  }

  /**
   * Records from other processes (a CLI run, another window) update the sessions they belong to. This
   * process's own were counted as pending when their responses ended, and the sessions told then.
   */
  private onLedgerRecords(records: readonly { sessionId: string }[]): void {
    if (records.length === 0) return;
    const ids = new Set(records.map(r => r.sessionId));
    for (const id of ids) {
      const s = this.sessions.find(id);
      if (s) this.sessions.changed(s);
    }
    this.spend.changed();
  }

  async shutdown(): Promise<void> {
    await this.sessions.shutdown();
    await this.gateway.close();
    await this.budgets.releaseLease().catch(() => undefined);
    await this.spend.dispose();
    await this.ledger.close();
    await disposeSandboxRuntime();
  }
}
