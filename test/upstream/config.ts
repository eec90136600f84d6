// Validation of scripts, faults and admin settings that arrive as JSON (admin endpoint, CLI file),
// so a typo in a test fails with the path of the bad field instead of a confusing model turn.
import type { Fault, Script, ScriptStep } from './types';
import { isRecord } from './wire';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface AdminConfig {
  faults?: Fault[];
  scripts?: Record<string, Script>;
  /** null clears a forced tier. */
  servedTier?: string | null;
  eventDelayMs?: number;
  resetCache?: boolean;
  clearRequests?: boolean;
}

export function parseAdminConfig(value: unknown): AdminConfig {
  const obj = record(value, 'config');
  const known = new Set(['faults', 'scripts', 'servedTier', 'eventDelayMs', 'resetCache', 'clearRequests']);
  for (const key of Object.keys(obj)) if (!known.has(key)) throw new ConfigError(`config.${key}: unknown setting`);
  const out: AdminConfig = {};
  if (obj.faults !== undefined) out.faults = parseFaults(obj.faults, 'config.faults');
  if (obj.scripts !== undefined) out.scripts = parseScripts(obj.scripts, 'config.scripts');
  if (obj.servedTier !== undefined) {
    if (obj.servedTier !== null && typeof obj.servedTier !== 'string') throw new ConfigError('config.servedTier: expected a string or null');
    out.servedTier = obj.servedTier;
  }
  if (obj.eventDelayMs !== undefined) out.eventDelayMs = nonNegative(obj.eventDelayMs, 'config.eventDelayMs');
  if (obj.resetCache !== undefined) out.resetCache = bool(obj.resetCache, 'config.resetCache');
  if (obj.clearRequests !== undefined) out.clearRequests = bool(obj.clearRequests, 'config.clearRequests');
  return out;
}

export function parseScripts(value: unknown, where: string): Record<string, Script> {
  const obj = record(value, where);
  const out: Record<string, Script> = {};
  for (const [name, raw] of Object.entries(obj)) out[name] = parseScript(raw, `${where}.${name}`);
  return out;
}

export function parseScript(value: unknown, where: string): Script {
  const obj = record(value, where);
  if (!Array.isArray(obj.steps)) throw new ConfigError(`${where}.steps: expected an array`);
  const steps = obj.steps.map((s, i) => parseStep(s, `${where}.steps[${i}]`));
  return { steps, ...(obj.repeatLast !== undefined ? { repeatLast: bool(obj.repeatLast, `${where}.repeatLast`) } : {}) };
}

function parseStep(value: unknown, where: string): ScriptStep {
  const obj = record(value, where);
  const step: ScriptStep = {};
  if (obj.text !== undefined) {
    if (typeof obj.text !== 'string') throw new ConfigError(`${where}.text: expected a string`);
    step.text = obj.text;
  }
  if (obj.calls !== undefined) {
    if (!Array.isArray(obj.calls)) throw new ConfigError(`${where}.calls: expected an array`);
    step.calls = obj.calls.map((c, i) => {
      const call = record(c, `${where}.calls[${i}]`);
      if (typeof call.name !== 'string' || !call.name) throw new ConfigError(`${where}.calls[${i}].name: expected a non-empty string`);
      return { name: call.name, arguments: record(call.arguments ?? {}, `${where}.calls[${i}].arguments`) };
    });
  }
  if (obj.reasoningTokens !== undefined) step.reasoningTokens = nonNegative(obj.reasoningTokens, `${where}.reasoningTokens`);
  return step;
}

export function parseFaults(value: unknown, where: string): Fault[] {
  if (!Array.isArray(value)) throw new ConfigError(`${where}: expected an array`);
  return value.map((raw, i) => parseFault(raw, `${where}[${i}]`));
}

function parseFault(value: unknown, where: string): Fault {
  const obj = record(value, where);
  const fault: Fault = {};
  if (obj.match !== undefined) {
    const m = record(obj.match, `${where}.match`);
    fault.match = {};
    if (m.path !== undefined) {
      if (typeof m.path !== 'string') throw new ConfigError(`${where}.match.path: expected a string`);
      fault.match.path = m.path;
    }
    if (m.nth !== undefined) fault.match.nth = positiveInt(m.nth, `${where}.match.nth`);
    if (m.script !== undefined) {
      if (typeof m.script !== 'string') throw new ConfigError(`${where}.match.script: expected a string`);
      fault.match.script = m.script;
    }
  }
  if (obj.status !== undefined) {
    const status = positiveInt(obj.status, `${where}.status`);
    if (status < 400 || status > 599) throw new ConfigError(`${where}.status: expected an HTTP error status (400-599)`);
    fault.status = status;
  }
  if (obj.retryAfterSec !== undefined) fault.retryAfterSec = nonNegative(obj.retryAfterSec, `${where}.retryAfterSec`);
  if (obj.body !== undefined) fault.body = obj.body;
  if (obj.cutAfterEvents !== undefined) fault.cutAfterEvents = nonNegative(obj.cutAfterEvents, `${where}.cutAfterEvents`);
  if (obj.errorAfterEvents !== undefined) fault.errorAfterEvents = nonNegative(obj.errorAfterEvents, `${where}.errorAfterEvents`);
  if (obj.delayMs !== undefined) fault.delayMs = nonNegative(obj.delayMs, `${where}.delayMs`);
  if (obj.eventDelayMs !== undefined) fault.eventDelayMs = nonNegative(obj.eventDelayMs, `${where}.eventDelayMs`);
  if (obj.times !== undefined) fault.times = positiveInt(obj.times, `${where}.times`);
  return fault;
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ConfigError(`${where}: expected an object`);
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`${where}: expected true or false`);
  return value;
}

function nonNegative(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ConfigError(`${where}: expected a number >= 0`);
  return value;
}

function positiveInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new ConfigError(`${where}: expected an integer >= 1`);
  return value;
}
