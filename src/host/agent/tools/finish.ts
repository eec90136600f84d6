// finish: the agent says the task is done and summarises what it did.
import { argObject, parseWith, requiredString } from './args';
import type { ToolDef } from './types';

export interface FinishArgs {
  summary: string;
}

export const finishTool: ToolDef<FinishArgs> = {
  name: 'finish',
  sideEffects: false,
  description:
    'Call when the task is complete (or cannot be completed). Give a short summary for the user: what changed, how it was checked, and anything left to do.',
  parameters: {
    type: 'object',
    properties: {
      summary: { type: 'string', description: 'What was done, how it was verified, and what is left.' },
    },
    required: ['summary'],
    additionalProperties: false,
  },
  parse: raw =>
    parseWith(raw, r => {
      const f = argObject(r, ['summary']);
      return { summary: requiredString(f, 'summary', { nonEmpty: true }).trim() };
    }),
  run: async args => ({ ok: true, output: 'finished', finish: { summary: args.summary } }),
};
