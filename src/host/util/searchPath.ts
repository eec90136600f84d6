// The search path for programs the host runs in a session's worktree (git, and what git starts). A
// relative entry (`node_modules/.bin`, `./bin`, an empty one, which means the current folder) would be
// looked up in the worktree, where an agent's command may have written a `git` or a `sh` of its own: it
// would run in the host, unconfined.
import path from 'node:path';

/** `env` with only the absolute entries of its search path. */
export function withAbsoluteSearchPath(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const key of Object.keys(out)) {
    if (key.toLowerCase() !== 'path' || out[key] === undefined) continue;
    out[key] = out[key]!.split(path.delimiter).filter(entry => entry !== '' && path.isAbsolute(entry)).join(path.delimiter);
  }
  return out;
}
