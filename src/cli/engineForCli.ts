// The CLI drives the same engine as the editor, in-process and headless.
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { HostSettings } from '../protocol/host';
import { InvalidRequestError } from '../host/errors';
import { Engine } from '../host/engine';
import type { EngineSink } from '../host/events';
import { switchyardHome } from '../host/home';
import { readMachineConfig, type MachineConfig } from '../host/machineConfig';
import { withDefaults } from '../host/settings';
import { endStartingSignals } from './endSignals';

export interface CliEngineOptions {
  settings?: Partial<HostSettings>;
  readOnly?: boolean;
  /** --approve-commands: nobody is here to ask, so a command that would be asked for is approved. */
  approveCommands?: boolean;
  /** Listing and reports: look at sessions without recovering or starting any. */
  passive?: boolean;
  /**
   * A command about one session: of those a dead process left running or queued, it takes over that one
   * only. Without one, none: a CLI process ends with its own session, and would leave any other it took
   * paused mid-turn.
   */
  only?: string;
  verbose?: (line: string) => void;
  /** The session's transcript is printed as it runs (`run`, `resume`): alerts would say its lines again. */
  followsTranscript?: boolean;
}

/**
 * No Switchyard home yet: nothing has run on this machine, and a command that only looks need not make one.
 * A home that could not be one (a file, or below one) is refused as startCliEngine refuses it.
 */
export async function noHomeYet(): Promise<boolean> {
  const home = switchyardHome();
  await requireFolderOrNothing(home);
  return !existsSync(home);
}

export async function startCliEngine(o: CliEngineOptions = {}): Promise<Engine> {
  const home = switchyardHome();
  await requireFolderOrNothing(home);
  // What the editor saved for every process, then this command's own flags over it.
  const settingsFrom = (machine: Partial<MachineConfig>): HostSettings => withDefaults({
    ...machine,
    baseURL: process.env.OPENAI_BASE_URL ?? '',
    ...o.settings,
    budgets: { ...withDefaults({}).budgets, ...machine.budgets, ...o.settings?.budgets },
  });
  const say = o.verbose ?? (() => {});
  const machine = await readMachineConfig(home).catch((err: unknown) => {
    // Caps and limits matter to what runs; a listing or a report shows what is there without them.
    if (!o.passive) throw err;
    say(`warning: ${(err as Error).message}`);
    return {};
  });
  const settings = settingsFrom(machine);
  const sink: EngineSink = {
    sessionsChanged: () => {},
    transcriptEvents: () => {},
    alert: a => {
      // A failure is what the run ends with, and is said then.
      if (a.kind !== 'failed' && !o.followsTranscript) say(`! ${a.title}: ${a.message}`);
    },
    spendChanged: () => {},
    // Nobody is there to ask: only what --approve-commands approved runs. A session that would ask is refused
    // before it starts without it (createSession; resume), so a refusal here is a last guard.
    approval: async () => ({ approved: Boolean(o.approveCommands) && !o.readOnly }),
    log: (level, message) => {
      if (level !== 'info') say(`${level}: ${message}`);
    },
  };
  const only = o.only;
  const engine = await Engine.start({
    home, settings, apiKey: process.env.OPENAI_API_KEY?.trim() || undefined, headless: true, sink, passive: o.passive,
    takesOver: (id: string) => id === only,
    startsTakenOver: false,
    approvesUnconfined: Boolean(o.approveCommands),
    followMachineConfig: settingsFrom,
  });
  // Started: a signal from here is the command's to act on (it pauses a run), or Node's default.
  endStartingSignals();
  return engine;
}

/** A home that is a file, or below one, would fail later, on whichever of its files came first, with ENOTDIR. */
export async function requireFolderOrNothing(home: string): Promise<void> {
  const found = await stat(home).then(
    st => (st.isDirectory() ? 'folder' : 'file'),
    (err: NodeJS.ErrnoException) => (err.code === 'ENOTDIR' ? 'below a file' : 'nothing'),
  );
  if (found === 'folder' || found === 'nothing') return;
  const fix = process.env.SWITCHYARD_HOME?.trim() ? 'set SWITCHYARD_HOME to a folder' : 'move the file, or set SWITCHYARD_HOME to a folder';
  throw new InvalidRequestError(found === 'file'
    ? `${home} is a file, but Switchyard keeps its state in a folder there; ${fix}.`
    : `${home} cannot be a folder: a file stands on its path; ${fix}.`);
}
