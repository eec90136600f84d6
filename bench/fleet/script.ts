// The scripted agent every fleet session plays: a few turns of streamed prose, each ending in a real tool
// call (write, read, a cheap command, write, finish). Paths and texts carry no per-request template, so
// every session's streams have exactly the same events as the SDK floor's: the two are compared per event.
import type { Script } from '../../test/upstream/server';

export const FLEET_SCRIPT = 'fleet';
/** The same turns with a quarter of the text: with FLEET_SCRIPT, it splits CPU into per-event and per-turn parts. */
export const SHORT_SCRIPT = 'fleet-short';
export const WARMUP_SCRIPT = 'fleet-warmup';
export const FLEET_SCRIPTS = [FLEET_SCRIPT, SHORT_SCRIPT] as const;
export type FleetScriptName = (typeof FLEET_SCRIPTS)[number];

const WORDS = [
  'the', 'handler', 'reads', 'its', 'input', 'validates', 'each', 'field', 'before', 'writing', 'a', 'record',
  'and', 'returns', 'an', 'error', 'when', 'something', 'is', 'missing', 'so', 'callers', 'can', 'retry',
  'with', 'better', 'data', 'next', 'I', 'will', 'check', 'tests', 'cover', 'this', 'path', 'too',
];

/** Deterministic prose of `words` words, as a model streams it (one delta per word). */
export function prose(words: number, seed: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[(i * 7 + seed * 13) % WORDS.length]!);
  return out.join(' ') + '.';
}

const NOTES = Array.from({ length: 24 }, (_, i) => `- finding ${i + 1}: the module keeps its state in one place`).join('\n');

/** Five turns; `wordsPerTurn` words of text each (a text delta per word). */
export function fleetScript(wordsPerTurn: number): Script {
  return {
    steps: [
      { text: prose(wordsPerTurn, 1), calls: [{ name: 'write_file', arguments: { path: 'notes/fleet.md', content: `# Fleet notes\n\n${NOTES}\n` } }] },
      { text: prose(wordsPerTurn, 2), calls: [{ name: 'read_file', arguments: { path: 'notes/fleet.md' } }] },
      { text: prose(wordsPerTurn, 3), calls: [{ name: 'run_command', arguments: { command: 'ls notes && wc -l notes/fleet.md' } }] },
      { text: prose(wordsPerTurn, 4), calls: [{ name: 'write_file', arguments: { path: 'src/fleet.txt', content: `checked\n${NOTES}\n` } }] },
      { text: prose(wordsPerTurn, 5), calls: [{ name: 'finish', arguments: { summary: 'Wrote notes/fleet.md and src/fleet.txt; the command listed them.' } }] },
    ],
  };
}

/** Model turns (requests) of one session playing fleetScript. */
export const FLEET_TURNS = 5;

export function fleetScripts(wordsPerTurn: number): Record<string, Script> {
  return {
    [FLEET_SCRIPT]: fleetScript(wordsPerTurn),
    [SHORT_SCRIPT]: fleetScript(Math.max(1, Math.round(wordsPerTurn / 4))),
    [WARMUP_SCRIPT]: fleetScript(20),
  };
}

/** The task text that selects a script (the test upstream reads the [script:NAME] tag). */
export function fleetTask(script: string, index: number): string {
  return `[script:${script}] Fleet task ${index}: take notes on the module and check them.`;
}
