// Models' context windows in tokens (published limits): how much a prompt may hold, and so the most input
// one request can be billed for, whatever the server adds to what was sent.

const CONTEXT_TOKENS: [RegExp, number][] = [
  [/^gpt-4\.1/, 1_047_576],
  [/^gpt-5/, 400_000],
  [/^o[134]/, 200_000],
];
/** Unknown models (local ones, mostly): a conservative default. */
const DEFAULT_CONTEXT = 128_000;

export function contextWindow(model: string): number {
  return CONTEXT_TOKENS.find(([re]) => re.test(model))?.[1] ?? DEFAULT_CONTEXT;
}
