// Where Switchyard keeps its state: one home per user, shared by every window and CLI run.
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';

export function switchyardHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.SWITCHYARD_HOME?.trim();
  return path.resolve(configured ? configured : path.join(homedir(), '.switchyard'));
}

const repoKeys = new Map<string, string>();

/** A stable, readable folder name for a repository: its basename plus a hash of its absolute path. */
export function repoKey(repoRoot: string): string {
  const abs = path.resolve(repoRoot);
  let key = repoKeys.get(abs);
  if (key === undefined) {
    const hash = createHash('sha256').update(abs).digest('hex').slice(0, 10);
    key = `${path.basename(abs).replace(/[^A-Za-z0-9._-]/g, '_') || 'repo'}-${hash}`;
    // Every session save asks; a process sees a handful of repositories.
    if (repoKeys.size >= 256) repoKeys.clear();
    repoKeys.set(abs, key);
  }
  return key;
}

export interface HomeLayout {
  root: string;
  ledgerDir: string;
  locksDir: string;
  /** One inbox per live process for changes other processes ask of the sessions it holds (ownerRequests.ts). */
  requestsDir: string;
  /** One heartbeat file per live process that may hold sessions or send requests (util/heartbeats.ts). */
  hostsDir: string;
  /** Which agents run on the machine, and which wait for it, across processes (sessions/machineSlots.ts). */
  slotsDir: string;
  /** What the provider last said of its rate limits, one file per model server and key (gateway/sharedRateLimits.ts). */
  rateLimitsDir: string;
  /** A note per session being created, until its record is saved (sessions/unfinishedCreates.ts). */
  creatingDir: string;
  reposDir: string;
  repoDir(repoRoot: string): string;
  sessionsDir(repoRoot: string): string;
  /** Default worktree folder for a repository; `override` (a setting) moves it. */
  worktreesDir(repoRoot: string, override?: string): string;
}

export function homeLayout(root: string = switchyardHome()): HomeLayout {
  const reposDir = path.join(root, 'repos');
  const repoDir = (repoRoot: string) => path.join(reposDir, repoKey(repoRoot));
  return {
    root,
    ledgerDir: path.join(root, 'ledger'),
    locksDir: path.join(root, 'locks'),
    requestsDir: path.join(root, 'requests'),
    hostsDir: path.join(root, 'hosts'),
    slotsDir: path.join(root, 'slots'),
    rateLimitsDir: path.join(root, 'ratelimits'),
    creatingDir: path.join(root, 'creating'),
    reposDir,
    repoDir,
    sessionsDir: repoRoot => path.join(repoDir(repoRoot), 'sessions'),
    worktreesDir: (repoRoot, override) =>
      override && override.trim() ? path.join(path.resolve(override), repoKey(repoRoot)) : path.join(repoDir(repoRoot), 'worktrees'),
  };
}
