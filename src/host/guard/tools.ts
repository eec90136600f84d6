// What a tool call is, read from its name and arguments: the built-in agent's tools and those of
// external agents seen through the gateway (Codex's `shell`, editors' `str_replace` tools, ...).
import { collapseWhitespace, parseArgs, truncate } from './normalize';

export type ToolRole = 'command' | 'write' | 'read' | 'search' | 'list' | 'finish' | 'other';

// First match wins: `run_tests` is a command, `str_replace_editor` a write, `read_file` a read.
const ROLE_BY_NAME: [RegExp, ToolRole][] = [
  [/finish|complete_task|attempt_completion|submit|task_done/i, 'finish'],
  [/command|shell|exec|bash|terminal|^run|_run|run_/i, 'command'],
  [/write|patch|edit|create|replace|delete|remove|rename|move|insert|update_file/i, 'write'],
  [/search|grep|find|ripgrep/i, 'search'],
  [/list|^ls$|glob|tree|directory/i, 'list'],
  [/read|open|view|^cat$|get_file|file_content/i, 'read'],
];

export function toolRole(name: string): ToolRole {
  for (const [pattern, role] of ROLE_BY_NAME) if (pattern.test(name)) return role;
  return 'other';
}

const PATH_KEYS = ['path', 'file', 'file_path', 'filePath', 'filename', 'filepath', 'target_file', 'dir', 'directory'];
const COMMAND_KEYS = ['command', 'cmd', 'script', 'commandLine'];
const QUERY_KEYS = ['query', 'pattern', 'regex', 'q', 'search', 'text'];

function firstString(args: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const v = args[key];
    if (typeof v === 'string' && v.trim()) return v;
  }
  return undefined;
}

/** The command line a command tool runs; Codex sends `["bash", "-lc", "npm test"]`. */
export function commandOf(name: string, rawArgs: string): string | undefined {
  if (toolRole(name) !== 'command') return undefined;
  const args = parseArgs(rawArgs);
  for (const key of COMMAND_KEYS) {
    const v = args[key];
    if (typeof v === 'string' && v.trim()) return collapseWhitespace(v);
    if (Array.isArray(v) && v.every(x => typeof x === 'string') && v.length) {
      const parts = v as string[];
      const shellForm = parts.length === 3 && /(^|\/)(ba|z|da)?sh$/.test(parts[0]!) && /^-l?c$/.test(parts[1]!);
      return collapseWhitespace(shellForm ? parts[2]! : parts.join(' '));
    }
  }
  return Object.keys(args).length ? undefined : collapseWhitespace(rawArgs) || undefined;
}

/** Files a write names: a `path` argument, or the files a unified/Codex-style patch updates. */
export function pathsOf(rawArgs: string): string[] {
  const args = parseArgs(rawArgs);
  const direct = firstString(args, PATH_KEYS);
  if (direct) return [direct.replace(/^\.\//, '')];
  const patch = firstString(args, ['patch', 'input', 'diff']) ?? (Object.keys(args).length ? '' : rawArgs);
  const paths = new Set<string>();
  for (const m of patch.matchAll(/^(?:\*\*\* (?:Update|Add|Delete) File: |\+\+\+ b\/)(.+)$/gm)) paths.add(m[1]!.trim());
  return [...paths];
}

/**
 * What a call looks at: revisiting it since the last progress is not exploring. A read of another
 * range of the same file, or a search for the same words, is the same resource.
 */
export function resourceOf(name: string, rawArgs: string): string {
  const role = toolRole(name);
  const args = parseArgs(rawArgs);
  switch (role) {
    case 'command':
      return `cmd:${commandOf(name, rawArgs) ?? rawArgs}`;
    case 'read':
    case 'list':
    case 'write':
      return `${role}:${pathsOf(rawArgs).join(',') || collapseWhitespace(rawArgs)}`;
    case 'search': {
      const query = firstString(args, QUERY_KEYS) ?? rawArgs;
      return `search:${collapseWhitespace(query).toLowerCase()}@${firstString(args, PATH_KEYS) ?? ''}`;
    }
    case 'finish':
      return 'finish';
    case 'other':
      return `${name}:${collapseWhitespace(rawArgs)}`;
  }
}

/**
 * The lines of a file a read showed, from the line numbers it printed ("12\ttext", or "  12  text" as
 * some harnesses pad them): paging on through a long file is reading something new, though the file is
 * the same. Undefined when the output numbers no lines.
 */
export function linesShown(output: string): { from: number; to: number } | undefined {
  let from: number | undefined;
  let to: number | undefined;
  for (const m of output.matchAll(/^ *(\d+)(?:\t| {2})/gm)) {
    const n = Number(m[1]);
    if (to !== undefined && n <= to) return from === undefined ? undefined : { from, to };
    from ??= n;
    to = n;
  }
  return from === undefined || to === undefined ? undefined : { from, to };
}

/** A short label a person recognises: "run_command `npm test`", "read_file src/a.ts". */
export function describeCall(name: string, rawArgs: string): string {
  const command = commandOf(name, rawArgs);
  if (command) return `${name} \`${truncate(command, 60)}\``;
  const role = toolRole(name);
  const paths = role === 'search' ? [] : pathsOf(rawArgs);
  if (paths.length) return `${name} ${truncate(paths.join(', '), 60)}`;
  if (role === 'search') {
    const query = firstString(parseArgs(rawArgs), QUERY_KEYS);
    if (query) return `${name} "${truncate(query, 50)}"`;
  }
  return `${name}(${truncate(rawArgs, 50)})`;
}

/**
 * The text of a tool output. Codex returns command results as JSON, `{"output": "...", "metadata":
 * {"exit_code": 1, "duration_seconds": 2.1}}`; unwrapped, the exit code becomes a marker line.
 */
export function outputText(output: string): string {
  if (!output.startsWith('{')) return output;
  try {
    const parsed: unknown = JSON.parse(output);
    if (parsed === null || typeof parsed !== 'object') return output;
    const { output: text, metadata } = parsed as { output?: unknown; metadata?: { exit_code?: unknown } };
    if (typeof text !== 'string') return output;
    const code = metadata && typeof metadata.exit_code === 'number' ? `\nexit code: ${metadata.exit_code}` : '';
    return `${text}${code}`;
  } catch {
    return output;
  }
}

// Exit markers as the built-in tool, Codex and common harnesses print them.
const EXIT_MARKER = /\b(?:exit(?:ed)?(?: with)?(?: status| code)?|return code|exit_code"?)\s*[:=]?\s*(-?\d+)\b|\[exit (-?\d+)\]/i;
const RUNNER_FAILURE = [
  /^\s*FAIL\b/m, // jest, vitest, go
  /^Tests?:.*\b\d+ failed/m, // jest summary
  /^=+ .*\b\d+ (?:failed|errors?)\b.*=+$/m, // pytest summary
  /^FAILED /m, // pytest short summary
  /\b\d+ failing\b/, // mocha
  /^--- FAIL:/m, // go test
  /^error(?:\[E\d+\])?: /m, // cargo, rustc, git
  /\berror TS\d+:/, // tsc
  /^Found \d+ errors?\b/m, // tsc --watch / tsc -b
  /^npm (?:ERR!|error) /m,
  /^Traceback \(most recent call last\):/m,
  /: command not found$|: not found$/m,
  /^✖ \d+ problems? \(\d+ errors?/m, // eslint
  /\bpanicked at\b|^panic: /m,
  /^make(?:\[\d+\])?: \*\*\*/m,
  /Segmentation fault|BUILD FAILED|FAILURE: Build failed/,
];

/**
 * A call failed when its tool says so (`ok: false`), or, for commands (whose tool call itself succeeds),
 * when the output shows a non-zero exit or a runner's failure lines. An explicit exit 0 wins over
 * failure-looking text (e.g. `grep FAIL log.txt`).
 */
export function callFailed(name: string, output: string, ok: boolean | undefined): boolean {
  if (ok === false) return true;
  const role = toolRole(name);
  if (role !== 'command') {
    return ok === undefined && /^\s*(?:error|fatal|failed|failure)\b/i.test(output);
  }
  const exit = EXIT_MARKER.exec(output);
  const code = exit ? Number(exit[1] ?? exit[2]) : undefined;
  if (code !== undefined) return code !== 0;
  return RUNNER_FAILURE.some(p => p.test(output));
}
