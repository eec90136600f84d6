// The engine: Switchyard's whole logic behind one object, with no editor and no transport. The IPC host
// (src/host/main.ts) and the CLI (src/cli) both drive it; tests drive it directly.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { HostSettings } from '../protocol/host';
import type { EngineOptions, EngineSink } from './events';
import { BudgetKeeper } from './budgets/budgetKeeper';
import { Gateway } from './gateway/gateway';
import { homeLayout, type HomeLayout } from './home';
import { INFLIGHT_DIR, InflightJournal } from './ledger/inflightJournal';
import { HostHeartbeats } from './util/heartbeats';
import { InflightRecovery } from './ledger/inflightRecovery';
import { type Disposable, Ledger } from './ledger/ledger';
import { MachineConfigFollower, writeMachineConfig } from './machineConfig';
import { loadPriceTable, type PriceTable } from './pricing/priceTable';
import { commandSetupFor } from './sandbox/commandSetup';
import { disposeSandboxRuntime } from './sandbox/runtime';
import { effectiveBaseURL, withDefaults } from './settings';
import { FingerprintCache } from './sessions/fingerprints';
import { removeInboxesOfGone } from './sessions/ownerRequests';
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
  /** This process's requests in flight, noted before they are sent. */
  private readonly inflight: InflightJournal;
  /** Records the requests in flight of processes that died (at start, every second, before budget decisions). */
  private readonly recovery: InflightRecovery;
  private recoveryPoll: Disposable | undefined;
  /** This host's heartbeat, and when other hosts last beat: whether a session's owner or a journal's writer is still there. */
  private readonly beats: HostHeartbeats;
  /** A CLI process's settings follow config.json (EngineOptions.followMachineConfig). */
  private configFollower: MachineConfigFollower | undefined;

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
    const inflightDir = path.join(this.layout.ledgerDir, INFLIGHT_DIR);
    // Names this process to others: the sessions it holds, its inbox, its heartbeat, its journal.
    const hostId = `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.beats = new HostHeartbeats(this.layout.hostsDir, hostId);
    // Before it takes any session or sends any request. A reader (passive) does neither.
    if (!o.passive) {
      this.beats.start(message => log('warn', message));
      void removeInboxesOfGone(this.layout.requestsDir, id => this.beats.lapsed(id)).catch(err => log('warn', `Removing the inboxes of processes that ended: ${(err as Error).message}`));
    }
    const budgets = (this.budgets = new BudgetKeeper({
      ledger,
      dir: this.layout.ledgerDir,
      prices: () => this.prices,
      recoverDeadRequests: () => this.recovery.recoverHeld(),
    }));
    this.inflight = new InflightJournal({ dir: inflightDir, hostId, ledgerOffset: () => ledger.offset, log });
    this.recovery = new InflightRecovery({ ledger, dir: inflightDir, beats: this.beats, hostId, exclusive: fn => budgets.exclusive(fn), log, onRecovered: records => this.onRecovered(records) });
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
      inflight: this.inflight,
      rateLimitsDir: this.layout.rateLimitsDir,
      onBudgetChanged: () => this.spend.changed(),
    });
    this.sessions = new SessionManager({
      home: this.layout,
      store: new SessionStore(this.layout),
      gateway: this.gateway,
      spend: this.spend,
      fingerprints: new FingerprintCache(msg => log('warn', msg)),
      sink,
      hostId,
      beats: this.beats,
      headless: o.headless,
      refusesUnconfined: o.headless && !o.approvesUnconfined,
      passive: o.passive ?? false,
      takesOver: o.takesOver ?? (() => true),
      startsTakenOver: o.startsTakenOver ?? true,
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
    try {
      // Before anything is spent here, and in a reader too (a report), so what was spent counts: the
      // ledger records it once, whoever gets there first.
      await engine.recovery.sweep().catch(err => o.sink.log('warn', `Recording the requests of processes that ended mid-request: ${(err as Error).message}`));
      // Another process may have recorded them since the ledger was opened.
      await ledger.catchUp();
      if (!o.passive) engine.recoveryPoll = engine.recovery.watch();
      const settingsFrom = o.followMachineConfig;
      if (!o.passive && settingsFrom) {
        engine.configFollower = new MachineConfigFollower(layout.root, m => engine.apply(settingsFrom(m)), msg => o.sink.log('warn', msg));
        await engine.configFollower.start();
      }
      await engine.gateway.listen();
    } catch (err) {
      // Nothing of it is left running (its polls, its heartbeat) for a caller that carries on.
      await engine.shutdown().catch(() => undefined);
      throw err;
    }
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
    this.apiKeyValue = apiKey || undefined;
    this.apply(settings);
    void writeMachineConfig(this.layout.root, this.settingsValue).catch(err => this.sink.log('warn', `Saving ${this.layout.root}/config.json: ${(err as Error).message}`));
  }

  /** A headless process's own change to its settings (a CLI resume going on at the session's model API): applied, not saved. */
  retune(change: Partial<HostSettings>): void {
    this.apply({ ...this.settingsValue, ...change });
  }

  private apply(settings: HostSettings): void {
    this.settingsValue = withDefaults(settings);
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

  /** Requests of a process that died mid-request, now in the ledger: their sessions' figures changed. */
  private onRecovered(records: readonly { sessionId: string }[]): void {
    this.sink.log('warn', `Recorded ${records.length} request(s) that a process which ended was running, from an estimate (marked as estimated).`);
    this.onLedgerRecords(records);
  }

  async shutdown(): Promise<void> {
    this.recoveryPoll?.dispose();
    await this.configFollower?.stop();
    await this.sessions.shutdown();
    await this.gateway.close();
    await this.inflight.close().catch(err => this.sink.log('warn', `Closing the journal of requests in flight: ${(err as Error).message}`));
    await this.recovery.settled();
    await this.budgets.releaseLease().catch(() => undefined);
    await this.spend.dispose();
    await this.ledger.close();
    await disposeSandboxRuntime();
    await this.beats.stop().catch(err => this.sink.log('warn', `Removing this process's heartbeat: ${(err as Error).message}`));
  }
}
