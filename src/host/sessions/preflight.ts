// What would make a session fail before its first request, checked before anything is made for it (a
// worktree and a branch that a retried job would pile up), and again when it runs (settings change).
import { isBaseUrl, NO_API_KEY, type HostSettings } from '../../protocol/host';
import type { AgentKind } from '../../protocol/types';
import { findCodex } from './runners/codex';

/** Why a session of `agent` cannot run with these settings, or undefined when nothing stands in its way. */
export function settingsProblem(settings: HostSettings, apiKey: string | undefined): string | undefined {
  // Never the default (OpenAI) in its place: the user meant a server of their own.
  if (!isBaseUrl(settings.baseURL)) {
    return `The base URL "${settings.baseURL}" is not an http(s) URL (switchyard.baseUrl in VS Code; --base-url or OPENAI_BASE_URL for the CLI). Nothing was sent.`;
  }
  if (!apiKey && isOpenAIEndpoint(settings.baseURL)) return NO_API_KEY;
  return undefined;
}

/** settingsProblem, and an agent program that is not there. */
export async function startProblem(settings: HostSettings, apiKey: string | undefined, agent: AgentKind): Promise<string | undefined> {
  const problem = settingsProblem(settings, apiKey);
  if (problem || agent !== 'codex') return problem;
  return (await findCodex(settings.codexPath)) ? undefined : codexMissing(settings.codexPath);
}

export function codexMissing(configured: string): string {
  return configured
    ? `Codex was not found at ${configured} (switchyard.codexPath).`
    : 'Codex was not found on PATH. Install it (npm install -g @openai/codex), or set switchyard.codexPath in VS Code.';
}

function isOpenAIEndpoint(baseURL: string): boolean {
  return !baseURL.trim() || /(^|\.)openai\.com(\/|:|$)/.test(new URL(baseURL).host + '/');
}
