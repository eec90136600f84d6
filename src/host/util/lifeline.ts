// A process group that ends with its host, however the host ends. Agents and their commands run in process
// groups of their own, so that a stop reaches everything they started; but nothing then ends them when the
// host itself is killed (a `kill -9`, a crash, the editor closed outright): they would go on writing in the
// worktree while the next host resumes the session there. So the group's shell keeps a watcher: its stdin
// is a pipe whose other end only the host (or its launcher process, which leaves with it) holds and never
// writes. The kernel closes that end when the host goes, the watcher reads end-of-file, and it ends the
// group as a stop would: SIGTERM, then SIGKILL after the grace period.
import { launch, type LaunchedProcess } from './launcher';

export interface GroupOptions {
  cwd: string;
  /** The complete environment (already cleaned by childEnv). */
  env: Record<string, string>;
  /** Time between SIGTERM and SIGKILL when the host is gone. */
  killGraceMs: number;
}

/**
 * The lines a group's shell runs first. The watcher ignores SIGTERM, so a stop's SIGTERM to the group
 * leaves it waiting for the host; the SIGKILL that follows, or the host closing the pipe once the
 * group's shell has exited, ends it. It holds none of the output pipes, which the host reads to the end.
 */
export function lifelinePreamble(killGraceMs: number): string {
  const grace = Math.max(1, Math.ceil(killGraceMs / 1000));
  return [
    'exec 3<&0 </dev/null',
    `(trap '' TERM; while read -r _ <&3; do :; done; kill -TERM 0; sleep ${grace}; kill -KILL 0) >/dev/null 2>&1 &`,
    'exec 3<&-',
    '',
  ].join('\n');
}

/** Runs `/bin/sh -c script` in a process group of its own that ends with the host. */
export function launchShellGroup(script: string, o: GroupOptions): LaunchedProcess {
  return launch('/bin/sh', ['-c', lifelinePreamble(o.killGraceMs) + script], { cwd: o.cwd, env: o.env, detached: true, lifeline: true });
}

/** Runs `argv` (no shell of its own) in a process group of its own that ends with the host. */
export function launchGroup(argv: readonly string[], o: GroupOptions): LaunchedProcess {
  // The shell replaces itself with the command (the same pid, its exit status); the watcher stays.
  return launch('/bin/sh', ['-c', lifelinePreamble(o.killGraceMs) + 'exec "$@"', 'sh', ...argv], { cwd: o.cwd, env: o.env, detached: true, lifeline: true });
}
