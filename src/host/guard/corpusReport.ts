// Runs the guard over the labelled trace corpus and measures it: recall and detection delay on
// loops, false alarms on productive sessions, turns and dollars spent in a loop before it was caught.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { replay, type ReplayVerdict } from './replay';
import type { LoopGuardSettings } from './settings';
import type { SignalKind } from './signals';
import { parseTrace } from './trace';

export type TraceKind = 'productive' | `loop-${SignalKind}`;

export interface TraceLabel {
  kind: TraceKind;
  /** Loops: the turn where a person watching would call the session stuck. */
  onset?: number;
  note?: string;
}

/** A loop must draw its first warning no later than this many turns after the labelled onset. */
export const MAX_DETECTION_DELAY = 3;

export interface TraceEvaluation {
  file: string;
  kind: TraceKind;
  onset?: number;
  turns: number;
  costUsd: number;
  firstWarn?: number;
  /** The signal behind the first warning. */
  firstSignal?: SignalKind;
  verdict: ReplayVerdict;
  /** Loops: paused or stopped, with the first warning within MAX_DETECTION_DELAY of the onset. */
  caught: boolean;
  delay?: number;
  /** Loops: turns (and their cost) from the onset to the turn the guard paused, or to the end if it never did. */
  wastedTurns: number;
  wastedUsd: number;
  /** Turns (and cost) of the recording after the pause, which a guarded session would not have spent. */
  savedTurns: number;
  savedUsd: number;
  /** Productive: any warning at all. */
  falseAlarm: boolean;
}

export interface KindSummary {
  kind: TraceKind;
  traces: number;
  caught: number;
  falseAlarms: number;
  pausedOrStopped: number;
  meanDelay: number | null;
  wastedTurns: number;
  wastedUsd: number;
  savedUsd: number;
}

export interface CorpusReport {
  traces: TraceEvaluation[];
  byKind: KindSummary[];
  /** Every way the corpus falls short of the targets; empty when it meets them. */
  problems: string[];
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

export async function evaluateCorpus(dir: string, settings: Partial<LoopGuardSettings> = {}): Promise<CorpusReport> {
  const labels = JSON.parse(await readFile(path.join(dir, 'labels.json'), 'utf8')) as Record<string, TraceLabel>;
  const files = (await readdir(dir)).filter(f => f.endsWith('.jsonl')).sort();
  const problems: string[] = [];
  for (const f of files) if (!labels[f]) problems.push(`${f} has no label in labels.json`);
  for (const f of Object.keys(labels)) if (!files.includes(f)) problems.push(`labels.json names ${f}, which is not in ${dir}`);

  const traces: TraceEvaluation[] = [];
  for (const file of files.filter(f => labels[f])) {
    const label = labels[file]!;
    const turns = parseTrace(await readFile(path.join(dir, file), 'utf8'), file);
    const result = replay(turns, settings, { headless: false });
    const warned = result.turns.find(t => t.level !== 'ok');
    const verdict = result.verdict;
    const cost = (from: number, to: number): number =>
      sum(turns.filter(t => t.turn >= from && t.turn <= to).map(t => t.costUsd ?? 0));
    const lastTurn = turns.at(-1)?.turn ?? 0;
    const ev: TraceEvaluation = {
      file,
      kind: label.kind,
      turns: turns.length,
      costUsd: cost(0, lastTurn),
      verdict,
      caught: false,
      wastedTurns: 0,
      wastedUsd: 0,
      savedTurns: result.unreached,
      savedUsd: result.unreachedUsd,
      falseAlarm: false,
    };
    if (warned) {
      ev.firstWarn = warned.turn;
      if (warned.signal) ev.firstSignal = warned.signal;
    }
    if (label.kind === 'productive') {
      ev.falseAlarm = warned !== undefined;
      if (verdict.result !== 'ok') problems.push(`${file}: productive session ${verdict.result}d at turn ${verdict.turn}`);
    } else if (label.onset === undefined) {
      problems.push(`${file}: loop without an onset in labels.json`);
    } else {
      ev.onset = label.onset;
      const end = verdict.result === 'ok' ? lastTurn : verdict.turn;
      ev.wastedTurns = turns.filter(t => t.turn >= label.onset! && t.turn <= end).length;
      ev.wastedUsd = cost(label.onset, end);
      if (ev.firstWarn !== undefined) ev.delay = ev.firstWarn - label.onset;
      ev.caught = verdict.result !== 'ok' && ev.delay !== undefined && ev.delay <= MAX_DETECTION_DELAY;
      if (!ev.caught) {
        const why = verdict.result === 'ok' ? 'never paused' : `first warning at turn ${ev.firstWarn}, onset ${label.onset}`;
        problems.push(`${file}: loop not caught in time (${why})`);
      }
    }
    traces.push(ev);
  }

  const kinds = [...new Set(traces.map(t => t.kind))].sort((a, b) => (a === 'productive' ? 1 : b === 'productive' ? -1 : a.localeCompare(b)));
  const byKind = kinds.map((kind): KindSummary => {
    const of = traces.filter(t => t.kind === kind);
    const delays = of.flatMap(t => (t.delay === undefined ? [] : [t.delay]));
    return {
      kind,
      traces: of.length,
      caught: of.filter(t => t.caught).length,
      falseAlarms: of.filter(t => t.falseAlarm).length,
      pausedOrStopped: of.filter(t => t.verdict.result !== 'ok').length,
      meanDelay: delays.length ? sum(delays) / delays.length : null,
      wastedTurns: sum(of.map(t => t.wastedTurns)),
      wastedUsd: sum(of.map(t => t.wastedUsd)),
      savedUsd: sum(of.map(t => t.savedUsd)),
    };
  });
  return { traces, byKind, problems };
}

/** The per-kind table as Markdown, for BENCHMARKS.md. */
export function formatCorpusTable(report: CorpusReport): string {
  const rows = [
    '| kind | traces | recall | mean turns to first warning | false alarms | paused/stopped | wasted turns | wasted $ | $ not spent after pause |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const k of report.byKind) {
    const loop = k.kind !== 'productive';
    rows.push(
      [
        k.kind,
        k.traces,
        loop ? `${k.caught}/${k.traces}` : '—',
        loop && k.meanDelay !== null ? k.meanDelay.toFixed(1) : '—',
        loop ? '—' : `${k.falseAlarms}/${k.traces}`,
        `${k.pausedOrStopped}/${k.traces}`,
        loop ? k.wastedTurns : '—',
        loop ? `$${k.wastedUsd.toFixed(2)}` : '—',
        loop ? `$${k.savedUsd.toFixed(2)}` : '—',
      ].join(' | ').replace(/^/, '| ').concat(' |'),
    );
  }
  return rows.join('\n');
}
