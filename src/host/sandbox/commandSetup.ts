// How a session's commands run. Until the OS sandbox is wired in, commands run unconfined only when
// the user's policy is "auto"; the session says so plainly.
import type { HostSettings } from '../../protocol/host';
import { localRunner } from '../agent/tools/localRunner';
import type { HomeLayout } from '../home';
import type { CommandSetup } from '../sessions/context';
import type { LiveSession } from '../sessions/liveSession';

export async function commandSetupFor(
  s: LiveSession,
  settings: HostSettings,
  _home: HomeLayout,
  _log: (level: 'info' | 'warn' | 'error', message: string) => void,
): Promise<CommandSetup> {
  if (!settings.workspaceTrusted || s.record.approval === 'read-only') {
    return { runner: localRunner, confinement: 'read-only', note: settings.workspaceTrusted ? undefined : 'The workspace is not trusted: no command runs.', forceAsk: false };
  }
  if (s.record.approval === 'ask') return { runner: localRunner, confinement: 'asking', forceAsk: true };
  return { runner: localRunner, confinement: 'unconfined', note: 'Commands run without an OS sandbox.', forceAsk: false };
}
