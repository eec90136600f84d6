// A process group that ends with its host, however the host ends. Agents and their commands run in process
// groups of their own, so that a stop reaches everything they started; but nothing then ends them when the
// host itself is killed (a `kill -9`, a crash, the editor closed outright): they would go on writing in the
// worktree while the next host resumes the session there. So the group's shell keeps a watcher reading its
// fd 3, a socket whose other end only the host (or its launcher process, which leaves with it) holds. The
// kernel closes that end when the host goes, the watcher reads end-of-file, and it ends the group as a stop
// would: SIGTERM, then SIGKILL after the grace period. A host that is alive when the group's shell exits
// writes RELEASE instead: the watcher leaves at once, and the host ends what the shell left behind itself.
// So a group is empty as soon as its own processes are gone (groupEnded).
import { readdirSync, readFileSync } from 'node:fs';
import { launch, type LaunchedProcess } from './launcher';
import { autogroupLine } from './priority';

export interface GroupOptions {
  cwd: string;
  /** The complete environment (already cleaned by childEnv). */
  env: Record<string, string>;
  /** Time between SIGTERM and SIGKILL when the host is gone. */
  killGraceMs: number;
}

/**
 * The lines a group's shell runs first: the watcher, on the lifeline (fd 3, closed for the rest). It
 * ignores SIGTERM, and where it has left the group a stop's signals do not reach it at all: the host's
 * RELEASE once the group's shell has exited ends it. It holds none of the output pipes, which the host
 * reads to the end.
 */
export function lifelinePreamble(killGraceMs: number, lowerAutogroup = autogroupLine()): string {
  const grace = Math.max(1, Math.ceil(killGraceMs / 1000));
  // $1: whom to signal. The watcher leaves the group when it can (setsid): once done, it would linger in
  // it as a zombie until the system reaps it, and the group would not look empty (groupEnded).
  const watcher = `trap "" TERM; IFS= read -r said; [ "$said" = q ] && exit 0; kill -TERM "$1"; sleep ${grace}; kill -KILL "$1"`;
  // The watcher ignores TERM from its first line on: a group's signal sent before it has left the group
  // would leave a zombie in it. The shell holds a TERM that comes while it forks, and takes it after.
  return [
    ...(lowerAutogroup ? [lowerAutogroup] : []),
    "trap 'sy_term=1' TERM",
    `if command -v setsid >/dev/null 2>&1; then (trap '' TERM; exec setsid /bin/sh -c '${watcher}' sh "-$$") <&3 >/dev/null 2>&1 &`,
    `else (trap '' TERM; exec /bin/sh -c '${watcher}' sh 0) <&3 >/dev/null 2>&1 & fi`,
    'trap - TERM',
    'exec 3<&-',
    '[ -z "$sy_term" ] || kill -TERM $$',
    '',
  ].join('\n');
}

/**
 * Some process of the group `pgid` is left (one we may not signal counts too), not counting zombies
 * unless `zombies` says so: a process the group's shell left behind is reparented when the shell exits,
 * and once it has ended it stays in the group as a zombie until the system reaps it (some inits take
 * seconds). Only Linux can tell those apart, by reading every process's stat: about 1 ms per 100 processes.
 */
export function groupAlive(pgid: number, zombies: 'not counted' | 'counted' = 'not counted'): boolean {
  if (process.platform === 'win32') return false;
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return zombies === 'counted' || process.platform !== 'linux' || liveMemberOf(pgid);
}

function liveMemberOf(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last one.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

/**
 * Resolves once no process of the group `pgid` is left, or after `maxMs` (false then). A group usually
 * empties within milliseconds of its shell's end (the watcher leaves it as it starts): zombies are looked
 * for only after that.
 */
export async function groupEnded(pgid: number, maxMs: number): Promise<boolean> {
  const started = Date.now();
  for (;;) {
    const waited = Date.now() - started;
    if (!groupAlive(pgid, waited < ZOMBIES_AFTER_MS ? 'counted' : 'not counted')) return true;
    if (waited >= maxMs) return false;
    await new Promise(r => setTimeout(r, waited < ZOMBIES_AFTER_MS ? 2 : 25));
  }
}

const ZOMBIES_AFTER_MS = 100;

/** Runs `/bin/sh -c script` in a process group of its own that ends with the host. */
export function launchShellGroup(script: string, o: GroupOptions): LaunchedProcess {
  return launch('/bin/sh', ['-c', lifelinePreamble(o.killGraceMs) + script], { cwd: o.cwd, env: o.env, detached: true, lifeline: true });
}

/** Runs `argv` (no shell of its own) in a process group of its own that ends with the host. */
export function launchGroup(argv: readonly string[], o: GroupOptions): LaunchedProcess {
  // The shell replaces itself with the command (the same pid, its exit status); the watcher stays.
  return launch('/bin/sh', ['-c', lifelinePreamble(o.killGraceMs) + 'exec "$@"', 'sh', ...argv], { cwd: o.cwd, env: o.env, detached: true, lifeline: true });
}
