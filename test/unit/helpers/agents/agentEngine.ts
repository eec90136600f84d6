// An engine for agent-session tests: the shared engine kit, with the user's API key set to a value that
// is easy to search for, a sink that keeps the log, and a home folder removed only once the engine has
// shut down and its last session saves have landed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { HostSettings } from '../../../../src/protocol/host';
import type { TestUpstream } from '../../../upstream/server';
import { engineFor, type EngineKit } from '../engineKit';
import { recordingSink } from './evidence';

export interface AgentEngineKit extends EngineKit {
  sink: ReturnType<typeof recordingSink>;
}

export async function agentEngine(t: TestContext, o: { up: TestUpstream; userKey: string; settings?: Partial<HostSettings>; headless?: boolean }): Promise<AgentEngineKit> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sy-agents-'));
  const sink = recordingSink();
  let kit: EngineKit;
  try {
    kit = await engineFor(t, { up: o.up, sink, headless: o.headless ?? false, settings: o.settings, home: path.join(root, 'home') });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  // Registered after engineFor's shutdown hook, so it runs after it. Shutdown does not wait for session
  // saves still in flight (a session stopped just before), so they are waited for here.
  t.after(async () => {
    await kit.engine.sessions.ctx.store.flush();
    rmSync(root, { recursive: true, force: true });
  });
  kit.engine.configure(kit.engine.settings, o.userKey);
  return { ...kit, sink };
}
