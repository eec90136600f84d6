// The user's filter drivers (git's clean, smudge and process programs), turned off for the git the host
// runs to look at a session's worktree. Git runs a driver in the worktree, on the files the attributes
// there name, and an agent writes both: a driver that loads code from its working folder (`python -m …`,
// `npx …`) would load the agent's, in the host, unconfined. A look (a fingerprint, what is uncommitted)
// needs the files as they are, not as a driver would store them.
import { gitOutput, splitNul, type GitCallOptions } from './git';

/** By the repository's git folder: the drivers its config (and the user's) names, looked up again after a while. */
const known = new Map<string, { at: number; config: string[] }>();
const KEPT_MS = 5_000;

/** `-c` settings that turn every configured filter driver off, for git run in the worktree at `cwd`. */
export async function filtersOff(cwd: string, gitCommonDir: string, opts: GitCallOptions = {}): Promise<string[]> {
  const hit = known.get(gitCommonDir);
  if (hit && Date.now() - hit.at < KEPT_MS) return hit.config;
  const out = await gitOutput(cwd, ['config', '-z', '--name-only', '--get-regexp', '^filter\\..*\\.(clean|smudge|process)$'], opts);
  const names = new Set(out.exitCode === 0 ? splitNul(out.stdout).map(key => key.replace(/\n?$/, '').replace(/\.(clean|smudge|process)$/i, '')) : []);
  const config = [...names].flatMap(driver => [`${driver}.clean=`, `${driver}.smudge=`, `${driver}.process=`, `${driver}.required=false`]);
  if (known.size >= 64) known.clear();
  known.set(gitCommonDir, { at: Date.now(), config });
  return config;
}
