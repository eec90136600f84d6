// Trace files: one JSON object per line, one line per turn (format in ./README.md).
import { appendFile, readFile } from 'node:fs/promises';
import type { TraceTurn } from '../../protocol/records';
import { TIERS, type Tier } from '../../protocol/types';
import { TraceFormatError } from './errors';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** Checks one parsed line and returns it as a TraceTurn; throws a message naming the bad field. */
function toTurn(value: unknown): TraceTurn {
  if (!isObject(value)) throw new Error('expected a JSON object (one turn per line)');
  const { turn, toolCalls, text, usage, costUsd, filesChanged, worktreeHash, tier, closed } = value;
  if (typeof turn !== 'number' || !Number.isInteger(turn) || turn < 0) throw new Error('"turn" must be a whole number');
  if (!Array.isArray(toolCalls)) throw new Error('"toolCalls" must be an array (empty for a turn without tool calls)');
  const calls = toolCalls.map((call: unknown, i): TraceTurn['toolCalls'][number] => {
    const where = `toolCalls[${i}]`;
    if (!isObject(call)) throw new Error(`${where} must be an object`);
    if (typeof call.name !== 'string' || !call.name) throw new Error(`${where}.name must be a non-empty string`);
    // Hand-written traces may give arguments as an object; recorded ones carry the model's JSON text.
    const args = typeof call.arguments === 'string' ? call.arguments : isObject(call.arguments) ? JSON.stringify(call.arguments) : undefined;
    if (args === undefined) throw new Error(`${where}.arguments must be a string (the call's JSON arguments) or an object`);
    if (typeof call.output !== 'string') throw new Error(`${where}.output must be a string`);
    if (call.ok !== undefined && typeof call.ok !== 'boolean') throw new Error(`${where}.ok must be true or false when given`);
    return call.ok === undefined ? { name: call.name, arguments: args, output: call.output } : { name: call.name, arguments: args, output: call.output, ok: call.ok };
  });
  if (!Array.isArray(filesChanged) || !filesChanged.every(f => typeof f === 'string')) {
    throw new Error('"filesChanged" must be an array of paths (empty when nothing changed)');
  }
  const out: TraceTurn = { turn, toolCalls: calls, filesChanged: filesChanged as string[] };
  if (text !== undefined) {
    if (typeof text !== 'string') throw new Error('"text" must be a string when given');
    out.text = text;
  }
  if (usage !== undefined) {
    if (!isObject(usage) || !isCount(usage.input) || !isCount(usage.cached) || !isCount(usage.output)) {
      throw new Error('"usage" must be {input, cached, output[, reasoning]} with token counts');
    }
    if (usage.reasoning !== undefined && !isCount(usage.reasoning)) throw new Error('"usage.reasoning" must be a token count');
    out.usage = { input: usage.input, cached: usage.cached, output: usage.output };
    if (usage.reasoning !== undefined) out.usage.reasoning = usage.reasoning;
  }
  if (costUsd !== undefined) {
    if (!isCount(costUsd)) throw new Error('"costUsd" must be a non-negative number');
    out.costUsd = costUsd;
  }
  if (worktreeHash !== undefined) {
    if (typeof worktreeHash !== 'string' || !worktreeHash) throw new Error('"worktreeHash" must be a non-empty string when given');
    out.worktreeHash = worktreeHash;
  }
  if (closed !== undefined) {
    if (typeof closed !== 'boolean') throw new Error('"closed" must be true or false when given');
    if (closed) out.closed = true;
  }
  if (tier !== undefined) {
    if (!TIERS.includes(tier as Tier)) throw new Error(`"tier" must be one of ${TIERS.join(', ')} when given`);
    out.tier = tier as Tier;
  }
  return out;
}

/**
 * Parses a trace. Blank lines are skipped; every other line must be a valid turn, and turns must
 * come in increasing order. `source` names the file in errors. `skipDamaged`: a line that breaks either rule
 * (cut short by a crash) is left out instead.
 */
export function parseTrace(text: string, source = 'trace', skipDamaged = false): TraceTurn[] {
  const turns: TraceTurn[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    try {
      turns.push(lineTurn(line, i + 1, source, turns.at(-1)));
    } catch (err) {
      if (!skipDamaged) throw err;
    }
  }
  return turns;
}

function lineTurn(line: string, lineNo: number, source: string, previous: TraceTurn | undefined): TraceTurn {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new TraceFormatError(source, lineNo, `not valid JSON (${(err as Error).message})`);
  }
  let turn: TraceTurn;
  try {
    turn = toTurn(parsed);
  } catch (err) {
    throw new TraceFormatError(source, lineNo, (err as Error).message);
  }
  if (previous && turn.turn <= previous.turn) {
    throw new TraceFormatError(source, lineNo, `turn ${turn.turn} comes after turn ${previous.turn}; turns must increase`);
  }
  return turn;
}

export function serializeTurn(turn: TraceTurn): string {
  return `${JSON.stringify(turn)}\n`;
}

export function serializeTrace(turns: readonly TraceTurn[]): string {
  return turns.map(serializeTurn).join('');
}

export async function readTraceFile(file: string): Promise<TraceTurn[]> {
  return parseTrace(await readFile(file, 'utf8'), file);
}

/**
 * Appends one turn to a trace being recorded. One write per line in append mode, so a crash leaves
 * whole earlier lines and at worst one cut last line, which the reader reports by line number.
 */
export async function appendTraceTurn(file: string, turn: TraceTurn): Promise<void> {
  await appendFile(file, serializeTurn(turn), { encoding: 'utf8', flag: 'a' });
}
