// Builders for loop guard tests: tool calls and turns that read like an agent's, with the parts that
// vary between runs (durations, timestamps) varying.
import type { TraceTurn } from '../../src/protocol/records';
import { analyzeTurn, type TurnFacts } from '../../src/host/guard/turnFacts';
import { DEFAULT_GUARD_SETTINGS } from '../../src/host/guard/settings';

export type Call = TraceTurn['toolCalls'][number];

let clock = 0;
const jitter = (): string => (1 + ((clock++ * 7919) % 97) / 10).toFixed(2);

export const read = (path: string, content = `// contents of ${path}`): Call => ({
  name: 'read_file',
  arguments: JSON.stringify({ path }),
  output: content,
});

export const write = (path: string, content: string): Call => ({
  name: 'write_file',
  arguments: JSON.stringify({ path, content }),
  output: `Wrote ${content.length} bytes to ${path}`,
});

export const search = (query: string): Call => ({ name: 'search', arguments: JSON.stringify({ query }), output: 'No matches.' });

/** A command as the built-in tool reports it: output, then the exit code and how long it took. */
export const cmd = (command: string, output: string, exit = 0): Call => ({
  name: 'run_command',
  arguments: JSON.stringify({ command }),
  output: `$ ${command}\n${output}\n\nexit code: ${exit} (${jitter()}s)`,
});

/** A failing jest run whose only failure names `testFile` (and optionally a source file in the stack). */
export function jestFail(testFile: string, testName: string, expected: string, received: string, source?: string): string {
  return [
    '> app@1.0.0 test',
    '> jest',
    '',
    `PASS test/other.test.ts (${jitter()} s)`,
    `FAIL ${testFile}`,
    `  ● ${testName}`,
    '',
    '    expect(received).toBe(expected) // Object.is equality',
    '',
    `    Expected: ${expected}`,
    `    Received: ${received}`,
    '',
    ...(source ? [`      at parse (${source}:${10 + (clock % 5)}:7)`] : []),
    `      at Object.<anonymous> (${testFile}:${20 + (clock % 3)}:5)`,
    '',
    'Test Suites: 1 failed, 1 passed, 2 total',
    'Tests:       1 failed, 8 passed, 9 total',
    `Time:        ${jitter()} s`,
    `Ran all test suites at ${new Date(Date.UTC(2026, 10, 3, 9, clock % 60, clock % 59)).toISOString()}.`,
  ].join('\n');
}

export const jestPass = (): string => `PASS test/parser.test.ts (${jitter()} s)\nTests:       9 passed, 9 total\nTime:        ${jitter()} s`;

export interface TurnOptions {
  text?: string;
  cost?: number;
  /** Defaults to the paths of the turn's write calls. */
  changed?: string[];
  hash?: string;
}

/** Numbers turns in order; filesChanged defaults to what the turn's writes touched. */
export function turns(): (calls: Call[], options?: TurnOptions) => TraceTurn {
  let n = 0;
  return (calls, options = {}) => {
    const changed =
      options.changed ??
      calls.filter(c => c.name === 'write_file').map(c => (JSON.parse(c.arguments) as { path: string }).path);
    const turn: TraceTurn = { turn: ++n, toolCalls: calls, filesChanged: changed, costUsd: options.cost ?? 0.01 };
    if (options.text !== undefined) turn.text = options.text;
    if (options.hash !== undefined) turn.worktreeHash = options.hash;
    return turn;
  };
}

/** Facts for a whole sequence, as the guard derives them turn by turn. */
export function factsOf(sequence: readonly TraceTurn[]): TurnFacts[] {
  const out: TurnFacts[] = [];
  for (const t of sequence) out.push(analyzeTurn(t, out, DEFAULT_GUARD_SETTINGS));
  return out;
}

/** A productive session: each round edits the parser differently and re-runs the tests. */
export function productiveSession(rounds: number): TraceTurn[] {
  const t = turns();
  const out: TraceTurn[] = [t([read('src/parser.ts')]), t([read('test/parser.test.ts')])];
  for (let i = 0; out.length < rounds - 1; i++) {
    out.push(t([write('src/parser.ts', `export const version = ${i};\n// attempt ${i}`)], { text: `Trying approach ${i}.` }));
    out.push(
      t([cmd('npm test', i % 3 === 2 ? jestPass() : jestFail('test/parser.test.ts', `parser › case ${i}`, `${i}`, `${i + 1}`, 'src/parser.ts'), i % 3 === 2 ? 0 : 1)]),
    );
  }
  out.push(t([{ name: 'finish', arguments: '{"summary":"done"}', output: 'ok' }]));
  return out.slice(0, rounds);
}
