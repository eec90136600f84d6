// Codex CLI as a session's agent. It gets a private CODEX_HOME whose config makes the gateway its model
// provider (the user's own ~/.codex is never read or changed), and its `exec --json` events become
// transcript events.
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { TranscriptEvent } from '../../../protocol/records';
import type { ApprovalPolicy } from '../../../protocol/types';
import { makeDir } from '../../util/makeDir';

export async function findCodex(configured: string): Promise<string | undefined> {
  const candidates = configured.trim()
    ? [configured.trim()]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map(d => path.join(d, 'codex'));
  for (const c of candidates) {
    try {
      await fs.access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

export type CodexSandboxMode = 'workspace-write' | 'read-only';

/** A read-only session's Codex runs in its own read-only sandbox: its commands may read, nothing writes. */
export function codexSandboxMode(approval: ApprovalPolicy): CodexSandboxMode {
  return approval === 'read-only' ? 'read-only' : 'workspace-write';
}

/** How a Codex session's row describes its confinement. */
export function codexConfinementNote(mode: CodexSandboxMode): string {
  return mode === 'read-only'
    ? "Codex's own sandbox (read-only: its commands may read, nothing is written)"
    : "Codex's own sandbox (workspace-write: writes only in the worktree)";
}

/**
 * Codex settings used (see README): a custom provider pointing at the gateway, speaking the Responses
 * API, with the session token read from SWITCHYARD_GATEWAY_TOKEN; its own sandbox for its commands
 * (workspace-write: it may write only in the worktree; read-only for a read-only session); no approval
 * prompts (nobody can answer them in `exec` mode); no update checks or telemetry.
 */
export async function writeCodexHome(home: string, gatewayBaseURL: string, sandboxMode: CodexSandboxMode): Promise<void> {
  await makeDir(home);
  const toml = [
    'model_provider = "switchyard"',
    'approval_policy = "never"',
    `sandbox_mode = "${sandboxMode}"`,
    'check_for_update_on_startup = false',
    '',
    '[model_providers.switchyard]',
    'name = "Switchyard gateway"',
    `base_url = ${JSON.stringify(gatewayBaseURL)}`,
    'env_key = "SWITCHYARD_GATEWAY_TOKEN"',
    'wire_api = "responses"',
    'request_max_retries = 2',
    'stream_max_retries = 2',
    '',
    '[analytics]',
    'enabled = false',
    '',
    // Plugin and app sync reach github.com and chatgpt.com at every start of a fresh CODEX_HOME (each
    // session has one): slow, noisy offline, and nothing an API-key session can use.
    '[features]',
    'plugins = false',
    'remote_plugin = false',
    'apps = false',
    // The gateway reads request bodies as JSON; keep them uncompressed whatever Codex defaults to.
    'enable_request_compression = false',
    '',
  ].join('\n');
  await fs.writeFile(path.join(home, 'config.toml'), toml);
}

type Json = Record<string, unknown>;
const s = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** One line of `codex exec --json` output as transcript events (unknown lines are shown as notices). */
export function codexEventToTranscript(line: string, turn: number): TranscriptEvent[] {
  const ts = new Date().toISOString();
  let e: Json;
  try {
    e = JSON.parse(line) as Json;
  } catch {
    return line.trim() ? [{ kind: 'notice', ts, level: 'info', text: line }] : [];
  }
  const item = (e.item ?? {}) as Json;
  const id = s(item.id);
  switch (e.type) {
    case 'item.started':
      if (item.type === 'command_execution') return [{ kind: 'tool-call', ts, turn, callId: id, name: 'shell', args: s(item.command) }];
      return [];
    case 'item.completed':
      switch (item.type) {
        case 'agent_message':
          return [{ kind: 'assistant', ts, turn, text: s(item.text) }];
        case 'command_execution':
          return [{ kind: 'tool-result', ts, turn, callId: id, output: `${s(item.aggregated_output)}${item.exit_code !== undefined ? `\n(exit code ${s(item.exit_code)})` : ''}`, ok: item.exit_code === 0 }];
        case 'file_change': {
          const changes = Array.isArray(item.changes) ? (item.changes as Json[]) : [];
          return [{ kind: 'tool-result', ts, turn, callId: id, output: changes.map(c => `${s(c.kind)} ${s(c.path)}`).join('\n') || 'files changed', ok: item.status !== 'failed' }];
        }
        case 'reasoning':
          return [];
        case 'error':
          // Codex reports non-fatal problems (e.g. a model it has no metadata for) as error items.
          return [{ kind: 'notice', ts, level: 'warning', text: `Codex: ${s(item.message)}` }];
        default:
          return [{ kind: 'notice', ts, level: 'info', text: `${s(item.type)}: ${s(item.text ?? item.query ?? '')}`.trim() }];
      }
    case 'turn.failed':
      return [{ kind: 'notice', ts, level: 'error', text: `Codex turn failed: ${s((e.error as Json | undefined)?.message ?? e.error)}` }];
    case 'error':
      return [{ kind: 'notice', ts, level: 'error', text: `Codex: ${s(e.message)}` }];
    default:
      return [];
  }
}
