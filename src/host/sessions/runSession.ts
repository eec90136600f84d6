// One run of a session's agent, from start to the status it ends in. Every agent kind is registered
// with the gateway under its own token first, so all of them are metered, capped and guarded alike.
import { FINISHED_UNCHANGED } from '../../protocol/sessions';
import type { SessionStatus } from '../../protocol/types';
import type { AgentOutcome } from '../agent/agentLoop';
import type { CommandRunner } from '../agent/tools/types';
import { processOf } from '../util/fileLock';
import { loadRoles, type Role } from '../agent/roles';
import { unmergedCommits } from '../worktrees/inspect';
import { commitAll } from '../worktrees/worktrees';
import { recordedBaseURL } from '../settings';
import type { LiveSession } from './liveSession';
import { runBuiltinAgent } from './runners/builtinRunner';
import { settingsProblem, untrustedProblem, worktreeGoneProblem } from './preflight';
import { turnsWord } from './resumeSession';
import { runProcessAgent } from './runners/processRunner';
import { codexConfinementNote, codexSandboxMode } from './runners/codex';
import type { SessionManager } from './sessionManager';

const CONTINUED_STATUSES: readonly SessionStatus[] = ['paused', 'stuck', 'queued'];

export function startRun(mgr: SessionManager, s: LiveSession): Promise<void> {
  const abort = new AbortController();
  const done = run(mgr, s, abort.signal);
  s.run = { abort, done };
  return done.finally(() => {
    s.run = undefined;
  });
}

async function run(mgr: SessionManager, s: LiveSession, signal: AbortSignal): Promise<void> {
  const ctx = mgr.ctx;
  const r = s.record;
  await s.firstSaved;
  await s.transcript.open();
  let outcome: AgentOutcome;
  let release: (() => void) | undefined;
  // Whatever fails from here on ends the run with its reason: a session left 'running' would hang its CLI run.
  try {
    s.token = ctx.gateway.register(s, s.token);
    const settings = ctx.settings();
    // Checked when it was created and resumed; a queued one (taken over from a process that ended) is
    // paused, and resumed when the workspace is trusted. First: Restricted Mode ignores workspace settings.
    const untrusted = untrustedProblem(settings, 'run');
    const problem = settingsProblem(settings, ctx.apiKey()) ?? worktreeGoneProblem(r);
    if (untrusted) {
      outcome = { kind: 'blocked', reason: untrusted, cause: 'untrusted' };
    } else if (problem) {
      outcome = { kind: 'failed', reason: problem };
    } else {
      r.baseURL = recordedBaseURL(settings.baseURL);
      const commands = await ctx.commands(s);
      release = commands.dispose?.bind(commands);
      // Codex keeps its own sandbox; the others use Switchyard's.
      r.confinement = r.agent === 'codex' ? 'sandboxed' : commands.confinement;
      r.confinementNote = r.agent === 'codex' ? codexConfinementNote(codexSandboxMode(r.approval)) : commands.note;
      mgr.save(s);
      await ctx.fingerprints.baseline(s);
      const approve = async (command: string): Promise<boolean> => {
        // Paused or stopped already: nobody is asked, and the pause is not undone by a 'waiting'.
        if (signal.aborted) return false;
        mgr.setStatus(s, 'waiting', 'Waiting for your approval to run a command.');
        try {
          const answer = await ctx.sink.approval({ sessionId: s.id, title: r.title, command, cwd: r.worktree }, signal);
          return answer.approved;
        } finally {
          if (r.status === 'waiting') mgr.setStatus(s, 'running');
        }
      };
      if (r.agent === 'builtin') {
        const role = await roleOf(r.repo, r.role, msg => ctx.log('warn', msg));
        outcome = await runBuiltinAgent({
          session: s,
          role,
          gateway: ctx.gateway,
          settings: { ...settings, defaultApproval: r.approval },
          runCommand: namedInRecord(mgr, s, commands.runner),
          forceAsk: commands.forceAsk,
          requestApproval: approve,
          signal,
          onTurn: turns => {
            r.turns = turns;
            mgr.save(s);
            mgr.changed(s);
          },
          // A session waiting out a 429 or an outage says so on its row, not only in its transcript.
          onRetrying: reason => {
            if (r.status !== 'running') return;
            r.statusReason = reason;
            mgr.changed(s);
          },
        });
      } else {
        outcome = await runProcessAgent({
          session: s, gateway: ctx.gateway, settings, signal, sandbox: commands,
          // Saved when it starts; its end is saved with the outcome (a record naming an ended process waits for nothing).
          onProcess: p => {
            r.agentProcess = p;
            if (p) mgr.save(s);
          },
        });
      }
    }
  } catch (err) {
    outcome = { kind: 'failed', reason: `Internal error: ${(err as Error).message}` };
    ctx.log('error', `Session ${s.id}: ${(err as Error).stack ?? String(err)}`);
  }
  release?.();
  await ctx.gateway.drain(s.id);
  await settle(mgr, s, outcome);
  await s.transcript.flush();
}

/**
 * The built-in agent's commands run in process groups of their own, as an external agent does: while one
 * runs, the record names it, so that a host taking the session from a killed one waits for it to end
 * before it resumes, merges or discards (ForeignOwner.leftAgentEnded). Cleared when the command is done;
 * the next save (each turn's) writes that, and a record naming an ended process waits for nothing.
 */
function namedInRecord(mgr: SessionManager, s: LiveSession, run: CommandRunner): CommandRunner {
  return (command, opts) => run(command, {
    ...opts,
    onStarted: pid => {
      s.record.agentProcess = processOf(pid);
      mgr.save(s);
    },
  }).finally(() => {
    s.record.agentProcess = undefined;
  });
}

async function settle(mgr: SessionManager, s: LiveSession, outcome: AgentOutcome): Promise<void> {
  const r = s.record;
  const stillRunning = r.status === 'running' || r.status === 'waiting';
  switch (outcome.kind) {
    case 'finished': {
      r.summary = outcome.summary;
      const commit = await commitWork(mgr, s, outcome.summary);
      if ('error' in commit) {
        // Not "done": a session that looks finished and clean invites a discard, which would lose the files.
        mgr.setStatus(s, 'failed', uncommitted(commit.error));
        mgr.alert(s, 'failed', r.statusReason ?? 'It failed.');
      } else {
        mgr.setStatus(s, 'done', commit.commit ? `Finished; work committed as ${commit.commit.slice(0, 8)}.` : await nothingNewToCommit(s));
      }
      break;
    }
    case 'max-turns': {
      // As the loop counted them (every response, from the record's count on): a resume that grants more counts from here.
      r.turns = outcome.turns;
      const commit = await commitWork(mgr, s, `Stopped after ${outcome.turns} turns.`);
      const limit = `Reached the limit of ${turnsWord(outcome.turns)} (switchyard.maxTurns, or --max-turns) without finishing.`;
      mgr.setStatus(s, 'failed', 'error' in commit ? `${limit} ${uncommitted(commit.error)}` : limit, 'turn-limit');
      mgr.alert(s, 'failed', r.statusReason ?? 'It failed.');
      break;
    }
    case 'failed':
      if (stillRunning) {
        mgr.setStatus(s, 'failed', outcome.reason, outcome.cause);
        mgr.alert(s, 'failed', outcome.reason, outcome.cause === 'api-key' ? { apiKeyRefused: true } : {});
      }
      break;
    case 'blocked':
      if (stillRunning) mgr.setStatus(s, 'paused', outcome.reason, outcome.cause);
      break;
    case 'aborted':
      if (stillRunning) mgr.setStatus(s, 'paused', 'Paused.');
      break;
  }
  // A paused or stuck agent goes on from where it was, and its next request shows the last turn. Closed
  // while the session is still held here: the trace's last turn number is in the save that lets it go.
  if (!CONTINUED_STATUSES.includes(r.status)) await mgr.ctx.gateway.closeTurns(s.id);
  r.owner = r.status === 'queued' ? r.owner : undefined;
  mgr.save(s);
}

/**
 * Nothing to commit at the end: the work may still be on the branch, committed by an earlier run (at its
 * turn limit, before a crash) or by the agent itself. Saying "without changing files" then invites a discard.
 */
async function nothingNewToCommit(s: LiveSession): Promise<string> {
  const r = s.record;
  const ahead = await unmergedCommits(r.repo, r.branch, r.baseCommit).catch(() => 0);
  if (!ahead) return FINISHED_UNCHANGED;
  return `Finished; nothing left to commit, and its branch holds ${ahead === 1 ? 'a commit' : `${ahead} commits`} to merge.`;
}

/** The new commit (null: nothing to commit), or why the work could not be committed. */
async function commitWork(mgr: SessionManager, s: LiveSession, summary: string): Promise<{ commit: string | null } | { error: string }> {
  try {
    const repo = await mgr.ctx.fingerprints.repoOf(s.record.repo);
    return { commit: await commitAll(s.record.worktree, `${s.record.title}\n\n${summary}\n\nSwitchyard session ${s.id}`, undefined, { repo, locksDir: mgr.ctx.home.locksDir }) };
  } catch (err) {
    s.transcript.append({ kind: 'notice', ts: new Date().toISOString(), level: 'error', text: `Could not commit the session's work: ${(err as Error).message}` });
    return { error: (err as Error).message };
  }
}

const uncommitted = (error: string) =>
  `Its work could not be committed, and is in its worktree, uncommitted: ${error.replace(/\.?$/, '.')} Fix that in the worktree, then merge it (which commits what is there) or retry.`;

/**
 * The session's role as its file says now. Files that are wrong were said when the session was made (and
 * are again in the role picker): here only when this session's own role is one of them.
 */
async function roleOf(repo: string, name: string, warn: (m: string) => void): Promise<Role> {
  const problems: string[] = [];
  const roles = await loadRoles(repo, m => problems.push(m));
  const role = roles.find(r => r.name === name);
  if (role) return role;
  for (const p of problems) warn(p);
  return roles[0]!;
}
