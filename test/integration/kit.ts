// Shared helpers for the integration suites: the extension's API, waiting on events (never sleeping).
import * as vscode from 'vscode';
import type { SwitchyardApi } from '../../src/extension/extension';
import type { SessionInfo } from '../../src/protocol/types';

export const EXTENSION_ID = 'switchyard.switchyard';

export async function api(): Promise<SwitchyardApi> {
  const a = await activated();
  await until(() => a.repo() !== undefined, 'the host to find the workspace repository', a.onDidChangeSessions);
  return a;
}

/** The extension, active, with its agent host ready (whether or not the window has a repository). */
export async function activated(): Promise<SwitchyardApi> {
  const ext = vscode.extensions.getExtension<SwitchyardApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  const a = ext.isActive ? ext.exports : await ext.activate();
  await a.hostReady();
  return a;
}

/** Resolves when `check` holds, re-checking whenever `event` fires (and on a slow safety tick). */
export function until<T>(check: () => T | undefined | false, what: string, event?: vscode.Event<unknown>, timeoutMs = 45_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    const done = (fn: () => void) => {
      subs.forEach(s => s.dispose());
      clearTimeout(timer);
      clearInterval(tick);
      fn();
    };
    const test = () => {
      try {
        const v = check();
        if (v) done(() => resolve(v as T));
      } catch (err) {
        done(() => reject(err));
      }
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
    // Some state (editor tabs, files) has no event of ours; a coarse tick covers it.
    const tick = setInterval(test, 250);
    if (event) subs.push(event(test));
    test();
  });
}

export async function sessionWhere(a: SwitchyardApi, id: string, ok: (s: SessionInfo) => boolean, what: string): Promise<SessionInfo> {
  return until(() => {
    const s = a.sessions().find(x => x.id === id);
    return s && ok(s) ? s : undefined;
  }, what, a.onDidChangeSessions);
}

export const settled = (s: SessionInfo) => !['queued', 'running', 'waiting'].includes(s.status);
