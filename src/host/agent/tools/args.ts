// Checks the arguments a model sent against what a tool accepts, with messages the model can act on.
import type { ParseResult } from './types';

export class ArgsError extends Error {
  override readonly name: string = 'ArgsError';
}

type Fields = Readonly<Record<string, unknown>>;

/** The argument object, refusing anything that is not an object or has keys the tool does not know. */
export function argObject(raw: unknown, allowed: readonly string[]): Fields {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ArgsError(`arguments must be a JSON object with ${describeKeys(allowed)}`);
  }
  const unknown = Object.keys(raw).filter(k => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new ArgsError(`unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.map(k => `'${k}'`).join(', ')}; expected ${describeKeys(allowed)}`);
  }
  return raw as Fields;
}

function describeKeys(keys: readonly string[]): string {
  return keys.length === 0 ? 'no fields' : keys.map(k => `'${k}'`).join(', ');
}

export function requiredString(fields: Fields, key: string, opts: { nonEmpty?: boolean } = {}): string {
  const v = fields[key];
  if (typeof v !== 'string') throw new ArgsError(`'${key}' is required and must be a string`);
  if (opts.nonEmpty && v.trim() === '') throw new ArgsError(`'${key}' must not be empty`);
  return v;
}

/** Absent and null both mean "not given": strict schemas make the model send null for optional fields. */
export function optionalString(fields: Fields, key: string): string | undefined {
  const v = fields[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ArgsError(`'${key}' must be a string or null`);
  return v;
}

export function optionalPositiveInt(fields: Fields, key: string): number | undefined {
  const v = fields[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new ArgsError(`'${key}' must be a whole number of at least 1, or null`);
  }
  return v;
}

export function optionalBoolean(fields: Fields, key: string): boolean | undefined {
  const v = fields[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ArgsError(`'${key}' must be true, false or null`);
  return v;
}

/** Runs a parser written with the helpers above and turns its ArgsError into a ParseResult. */
export function parseWith<A>(raw: unknown, parse: (raw: unknown) => A): ParseResult<A> {
  try {
    return { ok: true, value: parse(raw) };
  } catch (err) {
    if (err instanceof ArgsError) return { ok: false, error: err.message };
    throw err;
  }
}
