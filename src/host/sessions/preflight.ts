// What would make a session fail before its first request, checked before anything is made for it (a
// worktree and a branch that a retried job would pile up), and again when it runs (settings change).
import { existsSync } from 'node:fs';
import { apiKeyProblem, isBaseUrl, NO_API_KEY, type HostSettings } from '../../protocol/host';
import type { AgentKind, ApprovalPolicy } from '../../protocol/types';
import { sandboxAvailability, type SandboxAvailability } from '../sandbox/availability';
import { findCodex } from './runners/codex';
import { InterruptedError } from '../errors';
import { BASE_URL_WHERE } from '../settings';

/** Why a session of `agent` cannot run with these settings, or undefined when nothing stands in its way. */
export function settingsProblem(settings: HostSettings, apiKey: string | undefined): string | undefined {
  // Never the default (OpenAI) in its place: the user meant a server of their own.
  if (!isBaseUrl(settings.baseURL)) {
    return `The base URL "${settings.baseURL}" is not an http(s) URL ${BASE_URL_WHERE}. Nothing was sent.`;
  }
  if (!apiKey && isOpenAIEndpoint(settings.baseURL)) return NO_API_KEY;
  return apiKey ? apiKeyProblem(apiKey) : undefined;
}

/** An untrusted workspace, settingsProblem, and an agent program that is not there. */
export async function startProblem(settings: HostSettings, apiKey: string | undefined, agent: AgentKind): Promise<string | undefined> {
  // Trust first: in Restricted Mode the workspace's own settings (a base URL) are not read, and the way
  // on is to trust it, not to set a key.
  const problem = untrustedProblem(settings, 'start') ?? settingsProblem(settings, apiKey);
  if (problem || agent !== 'codex') return problem;
  return (await findCodex(settings.codexPath)) ? undefined : codexMissing(settings.codexPath);
}

/**
 * In an untrusted workspace nothing the repository names may run. Git runs programs its configuration
 * names (an fsmonitor, clean and smudge filters, merge drivers) when it makes a worktree, reads changes,
 * merges or checks a worktree before removing it: VS Code's own Git support is off in Restricted Mode for
 * that reason, and sessions do not start, run or land there either. Looking at them and their spend does.
 */
export function untrustedProblem(settings: HostSettings, action: UntrustedAction): string | undefined {
  if (settings.workspaceTrusted) return undefined;
  const { what, then } = UNTRUSTED_WORDS[action];
  return `${what} in Restricted Mode (an untrusted workspace): that runs git in the repository, and git runs programs the repository's own configuration names, which is why VS Code's Git support is off there too. ${then}`;
}

export type UntrustedAction = 'start' | 'run' | 'resume' | 'merge' | 'discard' | 'changes';

const UNTRUSTED_WORDS: Record<UntrustedAction, { what: string; then: string }> = {
  start: { what: 'No session starts', then: 'Trust the workspace to start one.' },
  run: { what: 'No session runs', then: 'It goes on when the workspace is trusted.' },
  resume: { what: 'No session is resumed', then: 'Trust the workspace, then resume it.' },
  merge: { what: 'No session is merged', then: 'Trust the workspace, then merge it.' },
  discard: { what: 'No session is discarded', then: 'Trust the workspace, then discard it.' },
  changes: { what: "No session's changes are read", then: 'Trust the workspace to see them.' },
};

/**
 * Commands that would run outside the OS sandbox, because it cannot run here: in the editor each one is
 * asked for; headless nobody can answer, so a session that would run them is refused before it starts,
 * unless the run approves them. A command agent runs whole inside the sandbox and cannot be asked about
 * each command: without the sandbox it starts nowhere.
 */
export async function sandboxProblem(
  settings: HostSettings,
  agent: AgentKind,
  approval: ApprovalPolicy,
  refusesUnconfined: boolean,
  availability: () => Promise<SandboxAvailability> = () => sandboxAvailability(),
): Promise<string | undefined> {
  // Codex keeps its own sandbox; a read-only or untrusted session runs no command; turned off, the user chose.
  if (agent === 'codex' || approval === 'read-only' || !settings.workspaceTrusted || !settings.sandbox.enabled) return undefined;
  if (agent === 'builtin' && !refusesUnconfined) return undefined;
  const a = await availability();
  if (a.ok) return undefined;
  // Nothing is missing: this process is stopping.
  if (a.interrupted) throw new InterruptedError('Stopped while the OS sandbox was starting, before anything was made or changed.');
  const install = a.install ? ` Install what is missing to sandbox them: ${a.install}` : '';
  if (agent === 'command') return `A command session runs whole inside the OS sandbox, which cannot run here: ${a.reason}.${install}`;
  return `The OS sandbox cannot run here (${a.reason}), so the agent's commands would run unconfined, with nobody here to approve each one.${install} Or pass --approve-commands to run them unconfined all the same (or start it with --read-only to run none).`;
}

/** A session whose worktree folder is gone (deleted or moved by hand, a drive not mounted) runs nothing there. */
export function worktreeGoneProblem(r: { title: string; worktree: string; branch: string; id: string }, outcome = 'Nothing was sent.'): string | undefined {
  if (existsSync(r.worktree)) return undefined;
  return `The worktree of "${r.title}" (${r.worktree}) is gone: deleted or moved outside Switchyard, or on a drive not mounted now. ${outcome} Its committed work is on ${r.branch}: merge it or discard the session (\`switchyard discard ${r.id}\`), or put the folder back where it was.`;
}

/**
 * Said after a 404: an OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp) answers under /v1, and a
 * base URL without it is the likeliest reason for one. Empty when the base URL names a version, or is OpenAI's.
 */
export function notFoundHint(baseURL: string): string {
  if (!isBaseUrl(baseURL) || !baseURL.trim()) return '';
  const url = new URL(baseURL);
  if (/\/v\d+(\/|$)/.test(url.pathname)) return '';
  return ` The base URL ${baseURL} has no /v1, under which OpenAI-compatible servers answer: try ${baseURL.replace(/\/+$/, '')}/v1.`;
}

export function codexMissing(configured: string): string {
  return configured
    ? `Codex was not found at ${configured} (switchyard.codexPath).`
    : 'Codex was not found on PATH. Install it (npm install -g @openai/codex), or set switchyard.codexPath in VS Code (the CLI looks on PATH).';
}

function isOpenAIEndpoint(baseURL: string): boolean {
  return !baseURL.trim() || /(^|\.)openai\.com(\/|:|$)/.test(new URL(baseURL).host + '/');
}
