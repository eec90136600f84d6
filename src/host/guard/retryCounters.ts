// Retries that differ only by counters. An agent that re-runs a failing command as `--attempt 3`, then
// `sleep 10 && … --attempt 4` (or writes to out3.log, then out4.log), and whose output echoes those numbers,
// fails the same way each time, yet no two outputs are equal. Two failing commands of the same shape (equal
// but for their numbers) are compared number by number: their outputs may differ only where each holds
// the number its own command holds in a place where the two commands differ. When they match, the later
// failure takes the earlier's keys. Other numbers must be equal, so distinct failures stay distinct.
import { digest } from './normalize';

/** A text as its numbers and the rest: equal texts have equal skeletons and numbers. */
interface Numbered {
  /** The text with each number (a run of digits) as a placeholder, hashed; exit lines kept whole. */
  skeleton: string;
  numbers: string[];
}

/** What a failing command keeps for the comparison: hashes and numbers, not its output. */
export interface CounterFacts {
  /** The command with each number as `#`. */
  shape: string;
  /** The command's numbers, in order. */
  numbers: string[];
  output: Numbered;
  signature: Numbered;
}

/** An output with more numbers than this is not compared (a listing, a table of timings): kept small. */
const MAX_OUTPUT_NUMBERS = 200;

/** Counter facts for a failing command, from its normalised output and failure signature; none without numbers. */
export function counterFacts(command: string, normalizedOutput: string, signature: string): CounterFacts | undefined {
  const numbers = command.match(/\d+/g);
  if (!numbers) return undefined;
  const output = numbered(normalizedOutput);
  if (output.numbers.length > MAX_OUTPUT_NUMBERS) return undefined;
  return { shape: command.replace(/\d+/g, '#'), numbers, output, signature: numbered(signature) };
}

/**
 * Which of `earlier`'s keys `later` shares, counters aside: both of one shape but for some numbers, and
 * their outputs (or failure signatures) equal where they do not differ as the commands do: a number that
 * is the earlier command's where the later one holds the later command's, at the same place in the text.
 */
export function sameBarCounters(earlier: CounterFacts, later: CounterFacts): { error: boolean; failure: boolean } {
  if (earlier.shape !== later.shape) return { error: false, failure: false };
  const counters = new Set<string>();
  earlier.numbers.forEach((n, i) => {
    if (n !== later.numbers[i]) counters.add(pair(n, later.numbers[i]!));
  });
  if (!counters.size) return { error: false, failure: false };
  return { error: equalBut(earlier.output, later.output, counters), failure: equalBut(earlier.signature, later.signature, counters) };
}

function pair(was: string, now: string): string {
  return `${was}\u0000${now}`;
}

/** Whether `a` and `b` are equal but for numbers that differ as one of the `counters` pairs does. */
function equalBut(a: Numbered, b: Numbered, counters: ReadonlySet<string>): boolean {
  if (a.skeleton !== b.skeleton || a.numbers.length !== b.numbers.length) return false;
  return a.numbers.every((x, i) => x === b.numbers[i] || counters.has(pair(x, b.numbers[i]!)));
}

/** An exit line after normalisation: its code is the command's verdict, not an echo of a counter. */
const EXIT_MARK = /^\s*(?:\[exit code|exit(?:ed)?\b|process exited)/i;

function numbered(text: string): Numbered {
  const numbers: string[] = [];
  const skeleton = text
    .split('\n')
    .map(line => (EXIT_MARK.test(line) ? line : line.replace(/\d+/g, n => (numbers.push(n), '\u0000'))))
    .join('\n');
  return { skeleton: digest(skeleton), numbers };
}
