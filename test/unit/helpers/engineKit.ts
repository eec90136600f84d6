// Helpers for tests that drive the real engine against the test upstream and real git repositories.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostSettings } from '../../../src/protocol/host';
import type { SessionInfo } from '../../../src/protocol/types';
import { Engine } from '../../../src/host/engine';
import { silentSink, type EngineSink } from '../../../src/host/events';
import { withDefaults } from '../../../src/host/settings';
import { startTestUpstream, type TestUpstream, type UpstreamOptions } from '../../upstream/server';

export function tempDir(t: TestContext, prefix = 'sy-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
}

/** Makes `dir` a repository (with a user identity of its own) whose one commit on main holds what is in it now. */
export function commitInitial(dir: string, who = { name: 'Tester', email: 'tester@example.com' }): string {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', who.name);
  git(dir, 'config', 'user.email', who.email);
  git(dir, 'add', '-A');
  git(dir, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'initial');
  return dir;
}

/** A repository with one commit on main: README.md and src/app.txt. */
export function makeRepo(root: string, name = 'repo'): string {
  const repo = path.join(root, name);
  mkdirSync(path.join(repo, 'src'), { recursive: true });
  writeFileSync(path.join(repo, 'README.md'), '# demo\n');
  writeFileSync(path.join(repo, 'src', 'app.txt'), 'line 1\nline 2\nline 3\n');
  return commitInitial(repo);
}

export async function upstream(t: TestContext, opts: UpstreamOptions = {}): Promise<TestUpstream> {
  const up = await startTestUpstream(opts);
  t.after(() => up.close());
  return up;
}

export interface EngineKit {
  engine: Engine;
  home: string;
  repo: string;
  up: TestUpstream;
}

export async function engineFor(t: TestContext, o: { up: TestUpstream; settings?: Partial<HostSettings>; headless?: boolean; sink?: EngineSink; home?: string; repo?: string }): Promise<EngineKit> {
  // One cleanup hook, in order: the engine stops (and finishes its writes) before its folders go.
  const root = mkdtempSync(path.join(os.tmpdir(), 'sy-'));
  let engine: Engine | undefined;
  t.after(async () => {
    await engine?.shutdown();
    rmSync(root, { recursive: true, force: true });
  });
  const home = o.home ?? path.join(root, 'home');
  const repo = o.repo ?? makeRepo(root);
  engine = await Engine.start({
    home,
    settings: withDefaults({ baseURL: o.up.url, model: 'gpt-5.4', budgets: { sessionUsd: null, dayUsd: null, monthUsd: null }, ...o.settings }),
    apiKey: 'sk-test-upstream',
    headless: o.headless ?? true,
    sink: o.sink ?? silentSink,
  });
  return { engine, home, repo, up: o.up };
}

/** Polls until `ok` holds; fails naming what it waited for. */
export async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok(); await sleep(20)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

export async function settle(engine: Engine, s: SessionInfo, timeoutMs = 30_000): Promise<SessionInfo> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`session ${s.id} did not settle in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const done = await Promise.race([engine.sessions.waitUntilSettled(s.id), timeout]);
    await engine.gateway.drain(s.id);
    return engine.sessions.info(engine.sessions.get(done.id));
  } finally {
    clearTimeout(timer);
  }
}

export const noProgress = { report: () => {} };
