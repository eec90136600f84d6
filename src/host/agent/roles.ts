// Roles: named presets of instructions, tools, default tier and budget. Built in: coder, reviewer,
// test-fixer. A repository adds its own as `.switchyard/roles/<name>.md`, with a small front matter:
//   ---
//   description: Triage failing CI runs
//   tier: flex
//   budgetUsd: 1.5
//   tools: list_files, read_file, search, finish
//   ---
//   Instructions for the agent…
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { plainNumber } from '../../protocol/plainNumber';
import type { RoleInfo } from '../../protocol/sessions';
import { TIERS, type Tier } from '../../protocol/types';
import { TOOLS } from './tools/registry';

export interface Role extends RoleInfo {
  instructions: string;
  /** Tool names this role may use; undefined means all. */
  tools?: readonly string[];
}

export const READ_ONLY_TOOLS = ['list_files', 'read_file', 'search', 'finish'] as const;

export const BUILT_IN_ROLES: readonly Role[] = [
  {
    name: 'coder',
    description: 'Implements the task: edits files, runs the build and the tests, finishes with a summary.',
    tier: null,
    budgetUsd: null,
    source: 'built-in',
    instructions:
      'Implement the task completely. Read the relevant code first, make focused changes, then build and run ' +
      'the tests that cover them. Prefer small, reviewable edits that follow the existing style of the code.',
  },
  {
    name: 'reviewer',
    description: 'Reads the code and reports problems; changes nothing. Good on the flex tier.',
    tier: 'flex',
    budgetUsd: null,
    source: 'built-in',
    tools: READ_ONLY_TOOLS,
    instructions:
      'Review the code named in the task. Do not change files. Report concrete problems (bugs, missing tests, ' +
      'unclear code) with file and line, most important first, and finish with the review as the summary.',
  },
  {
    name: 'test-fixer',
    description: 'Makes a failing test suite pass without weakening the tests.',
    tier: null,
    budgetUsd: null,
    source: 'built-in',
    instructions:
      'Run the tests, find the cause of each failure and fix the code under test. Never delete or weaken a ' +
      'test to make it pass. If a failure cannot be fixed, stop and explain why in the summary.',
  },
];

/** Built-in roles plus the repository's own (which may replace a built-in one of the same name). */
export async function loadRoles(repoRoot: string, onWarning: (msg: string) => void): Promise<Role[]> {
  const dir = path.join(repoRoot, '.switchyard', 'roles');
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter(n => n.endsWith('.md')).sort();
  const roles = new Map(BUILT_IN_ROLES.map(r => [r.name, r]));
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const role = parseRoleFile(path.basename(name, '.md'), await fs.readFile(file, 'utf8'));
      roles.set(role.name, role);
    } catch (err) {
      onWarning(`Role ${file} ignored: ${(err as Error).message}`);
    }
  }
  return [...roles.values()];
}

const ROLE_KEYS: readonly string[] = ['description', 'tier', 'budgetUsd', 'tools'];

export function parseRoleFile(name: string, text: string): Role {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error('role names use lowercase letters, digits and dashes');
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  const meta = new Map<string, string>();
  for (const line of (m?.[1] ?? '').split(/\r?\n/)) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const kv = /^\s*([^:\s]+)\s*:\s*(.*?)\s*$/.exec(line);
    // A misspelt key would be a setting that silently does not hold: a budget of $0.05 run at the default $5.
    if (!kv || !ROLE_KEYS.includes(kv[1]!)) throw new Error(`${kv ? `"${kv[1]}" is not a role setting` : `"${line.trim()}" is not "key: value"`} (use ${ROLE_KEYS.join(', ')})`);
    meta.set(kv[1]!, kv[2]!);
  }
  const instructions = (m ? m[2] : text).trim();
  if (!instructions) throw new Error('the file has no instructions');
  const tier = meta.get('tier') ?? null;
  if (tier !== null && !(TIERS as readonly string[]).includes(tier)) throw new Error(`tier must be one of ${TIERS.join(', ')}`);
  const budgetText = meta.get('budgetUsd');
  const budgetUsd = budgetText === undefined ? null : plainNumber(budgetText.replace(/^\$/, ''));
  // $0 would refuse the session's every request: no budget a session could start with.
  if (budgetUsd !== null && !(Number.isFinite(budgetUsd) && budgetUsd > 0)) throw new Error('budgetUsd must be a number of dollars above 0');
  const toolsText = meta.get('tools');
  const tools = toolsText === undefined ? undefined : toolList(toolsText);
  return {
    name,
    description: meta.get('description') ?? 'Role defined in this repository.',
    tier: tier as Tier | null,
    budgetUsd,
    source: 'repo',
    instructions,
    tools,
  };
}

/**
 * `a, b` or `[a, b]`, names quoted or not. An unknown name is an error, not dropped: a role left with
 * fewer tools than its author meant (or none) would run on and fail every call. `finish` is always in:
 * without it a run could only end at its turn limit.
 */
function toolList(text: string): string[] {
  const names = text.replace(/^\[(.*)\]$/, '$1').split(',').map(s => s.trim().replace(/^(['"])(.*)\1$/, '$2')).filter(Boolean);
  const known = TOOLS.map(t => t.name);
  const unknown = names.filter(n => !known.includes(n));
  if (unknown.length > 0) throw new Error(`tools: ${unknown.map(n => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is not a tool' : 'are not tools'}; the tools are ${known.join(', ')}`);
  return [...new Set([...names, 'finish'])];
}

export function toRoleInfo(r: Role): RoleInfo {
  return { name: r.name, description: r.description, tier: r.tier, budgetUsd: r.budgetUsd, source: r.source, runsCommands: !r.tools || r.tools.includes('run_command') };
}
