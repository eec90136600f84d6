// External agents as sessions: OpenAI's Codex CLI (`codex exec --json`) or any command. They run in the
// session's worktree and reach the model only through the gateway, with the session's token as their
// API key, so they are metered, capped, tiered and guarded exactly like the built-in agent.
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { HostSettings } from '../../../protocol/host';
import type { AgentOutcome } from '../../agent/agentLoop';
import { childEnv } from '../../agent/tools/env';
import { processOf, type ProcessIdentity } from '../../util/fileLock';
import { launch } from '../../util/launcher';
import { groupEnded, launchGroup } from '../../util/lifeline';
import type { Gateway } from '../../gateway/gateway';
import type { CommandSetup } from '../context';
import type { LiveSession } from '../liveSession';
import { codexEventToTranscript, codexSandboxMode, findCodex, writeCodexHome } from './codex';
import { makeDir } from '../../util/makeDir';
import { codexMissing } from '../preflight';
import { startDir } from '../workFolder';
import { folderNote } from '../../agent/prompt';

export interface ProcessRunOptions {
  session: LiveSession;
  gateway: Gateway;
  settings: HostSettings;
  signal: AbortSignal;
  sandbox: CommandSetup;
  /** The agent's process once started, then undefined once it has exited: kept in the session's record. */
  onProcess(p: ProcessIdentity | undefined): void;
}

const KILL_GRACE_MS = 3000;
const PIPE_DRAIN_MS = 2000;

export async function runProcessAgent(o: ProcessRunOptions): Promise<AgentOutcome> {
  const s = o.session;
  const r = s.record;
  await o.gateway.listen();
  await makeDir(s.paths.tempDir);
  const env: Record<string, string> = {
    OPENAI_BASE_URL: o.gateway.baseURL,
    OPENAI_API_KEY: s.token ?? '',
    SWITCHYARD_SESSION: r.id,
    TMPDIR: s.paths.tempDir,
  };
  // A command starts where the user works, when they started it from a folder below the repository's root;
  // Codex at the root (codexPrompt).
  const cwd = r.agent === 'codex' ? r.worktree : startDir(r.worktree, r.folder);
  let argv: string[];
  let codex = false;
  if (r.agent === 'codex') {
    const bin = await findCodex(o.settings.codexPath);
    if (!bin) {
      return { kind: 'failed', reason: codexMissing(o.settings.codexPath) };
    }
    const home = path.join(s.paths.dir, 'codex-home');
    const sandboxMode = codexSandboxMode(r.approval);
    await writeCodexHome(home, o.gateway.baseURL, sandboxMode);
    env.CODEX_HOME = home;
    env.SWITCHYARD_GATEWAY_TOKEN = s.token ?? '';
    argv = [bin, 'exec', '--json', '--skip-git-repo-check', '--sandbox', sandboxMode, '-m', r.model, '-C', r.worktree, codexPrompt(r.task, r.folder)];
    codex = true;
  } else {
    if (!r.command?.trim()) return { kind: 'failed', reason: 'A command session needs a command to run.' };
    argv = ['/bin/sh', '-c', r.command];
  }
  // A command agent runs whole inside the sandbox (the gateway's port is its only way out). Codex keeps
  // its own sandbox: inside ours its home would vanish and its sandbox could not start.
  let command = argv;
  if (!codex && o.sandbox.wrapProcess) {
    try {
      command = await o.sandbox.wrapProcess(argv, { cwd, gatewayPort: o.gateway.port });
    } catch (err) {
      return { kind: 'failed', reason: (err as Error).message };
    }
  } else if (!codex && o.sandbox.confinement === 'unconfined') {
    s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'warning', text: `The agent runs unconfined: ${o.sandbox.note ?? 'the sandbox is off'}` });
  }
  // Paused or stopped while it was being set up: the abort listener below would never hear of it.
  if (o.signal.aborted) return { kind: 'aborted' };
  // A process group of its own, so a stop ends the agent and everything it started; and so does the end of
  // this host, however it ends (util/lifeline.ts): else a resume elsewhere would run a second agent beside it.
  const childOptions = { cwd, env: childEnv(process.env, env) };
  const child = process.platform === 'win32'
    ? launch(command[0]!, command.slice(1), { ...childOptions, detached: true })
    : launchGroup(command, { ...childOptions, killGraceMs: KILL_GRACE_MS });
  child.on('spawn', () => {
    if (child.pid !== undefined) o.onProcess(processOf(child.pid));
  });
  const now = () => new Date().toISOString();
  let lastMessage = '';
  const tail: string[] = [];
  let exited = false;
  child.on('exit', () => (exited = true));
  let killTimer: NodeJS.Timeout | undefined;
  const endGroup = () => {
    child.killGroup('SIGTERM');
    killTimer ??= setTimeout(() => child.killGroup('SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  const kill = () => {
    if (!exited) endGroup();
  };
  o.signal.addEventListener('abort', kill, { once: true });
  const stdout = createInterface({ input: child.stdout });
  const stderr = createInterface({ input: child.stderr });
  // 'exit' can come before the last lines are read (Codex's final message is its last line), so the
  // outcome waits for both pipes to close, but not forever: a background process the agent left
  // behind may hold them open.
  const drained = Promise.all([once(stdout, 'close'), once(stderr, 'close')]);
  stdout.on('line', line => {
    if (codex) {
      // Its events before its first request is metered belong to turn 1, as the transcript numbers turns from 1.
      const events = codexEventToTranscript(line, Math.max(1, r.turns));
      for (const e of events) {
        if (e.kind === 'assistant') lastMessage = e.text;
        s.transcript.append(e);
      }
    } else {
      s.transcript.append({ kind: 'notice', ts: now(), level: 'info', text: line, stream: 'stdout' });
      lastMessage = line;
    }
  });
  stderr.on('line', line => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (!codex) s.transcript.append({ kind: 'notice', ts: now(), level: 'info', text: line, stream: 'stderr' });
  });
  const code = await new Promise<number | null>(resolve => {
    child.on('error', err => {
      tail.push(err.message);
      resolve(127);
    });
    child.on('exit', c => resolve(c));
  });
  // What the agent left running in its group goes with it, as after a stop.
  endGroup();
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([drained, new Promise<void>(resolve => (grace = setTimeout(resolve, PIPE_DRAIN_MS)))]);
  clearTimeout(grace);
  stdout.close();
  stderr.close();
  // Whatever still holds the pipes (a process the agent left behind) gets EPIPE, not our descriptors.
  child.stopReading();
  o.signal.removeEventListener('abort', kill);
  // The run ends with the whole group, not only its leader: a resume, merge or discard that follows must
  // not find a process of this agent still writing in the worktree. Once it is empty, the SIGKILL is not
  // sent: it could only reach a group that has taken its number since.
  if (child.pid === undefined || (await groupEnded(child.pid, KILL_GRACE_MS + 500))) clearTimeout(killTimer);
  o.onProcess(undefined);
  if (o.signal.aborted) return { kind: 'aborted' };
  if (code === 0) return { kind: 'finished', summary: lastMessage || 'The agent exited successfully.' };
  const said = lastWords(tail);
  return { kind: 'failed', reason: `The agent exited with code ${code}${said.length ? `: ${said.join(' / ')}` : ''}` };
}

/**
 * What an agent's stderr said last, as the reason it failed: its last three lines, but for a stack trace's
 * frames, the error's own properties Node prints after them ("at … {" to "}"), the caret under the source
 * line and a runtime's version line, which would push the error itself out.
 */
export function lastWords(lines: readonly string[]): string[] {
  const telling: string[] = [];
  let inProperties = false;
  for (const l of lines) {
    if (inProperties) {
      inProperties = l !== '}';
      continue;
    }
    if (/^\s+at\s/.test(l)) {
      inProperties = l.trimEnd().endsWith('{');
      continue;
    }
    // The caret under the source line points at nothing once lines are joined.
    if (l.trim() && !/^\^+$/.test(l.trim()) && !/^Node\.js v\d/.test(l.trim())) telling.push(l);
    // The end of a properties block whose start ("at … {") was before the lines kept: drop its lines too.
    if (l === '}') {
      telling.pop();
      while (telling.length && /^\s+[\w$'"]+: /.test(telling.at(-1)!)) telling.pop();
    }
  }
  return (telling.length ? telling : lines.filter(l => l.trim())).slice(-3).map(l => l.trim());
}

/**
 * Codex's prompt: the task, and where the user works when below the root. Codex starts at the worktree's
 * root all the same: its sandbox lets it write only below the folder it starts in, and a monorepo's task
 * may need the root's files (a lockfile, another package).
 */
function codexPrompt(task: string, folder: string | undefined): string {
  return folder ? `${task}\n\n(${folderNote(folder)})` : task;
}
