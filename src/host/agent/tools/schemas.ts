// Tool schemas in the shape each API wants. Built from the same literals every time: identical bytes.
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { FunctionTool } from 'openai/resources/responses/responses';
import { TOOLS } from './registry';
import type { AnyToolDef } from './types';

export interface SchemaOptions {
  strict?: boolean;
  /** A subset of TOOLS (for a role), kept in TOOLS order by the caller. */
  tools?: readonly AnyToolDef[];
}

/**
 * Function tools for the Responses API. Strict by default: the schemas are written for it, and it makes
 * the model's arguments always parse.
 */
export function toolSchemasForResponses(opts: SchemaOptions = {}): FunctionTool[] {
  const strict = opts.strict ?? true;
  return (opts.tools ?? TOOLS).map(t => ({
    type: 'function',
    name: t.name,
    description: t.description,
    parameters: t.parameters,
    strict,
  }));
}

/**
 * Function tools for Chat Completions. Not strict by default: this API serves OpenAI-compatible servers,
 * several of which reject or ignore `strict`.
 */
export function toolSchemasForChat(opts: SchemaOptions = {}): ChatCompletionFunctionTool[] {
  return (opts.tools ?? TOOLS).map(t => ({
    type: 'function',
    function: opts.strict
      ? { name: t.name, description: t.description, parameters: t.parameters, strict: true }
      : { name: t.name, description: t.description, parameters: t.parameters },
  }));
}
