// Which scripted step a request plays, its templates, and how much of it fits in the output budget.
import type { RecordedUsage, Script, ScriptStep } from './types';
import { countTokens, truncateToTokens } from './tokens';

const SCRIPT_TAG = /\[script:([A-Za-z0-9_.-]+)\]/;
export const DEFAULT_SCRIPT = 'default';
const FINAL_STEP: ScriptStep = { text: 'done.' };

/** The user messages of a request, in order, as plain text. */
export interface Conversation {
  userTexts: string[];
  /** Model turns already in the request (the index of the step to play). */
  priorTurns: number;
}

export interface ScriptChoice {
  name: string;
  /** The text of the message that chose the script (else the first user message), tag removed. */
  task: string;
}

/**
 * The tag is looked for in the first user message, then in later ones: agents such as Codex send
 * their own context as the first user message and the task after it.
 */
export function chooseScript(conversation: Conversation): ScriptChoice {
  for (const text of conversation.userTexts) {
    const m = SCRIPT_TAG.exec(text);
    if (m) return { name: m[1]!, task: text.replace(SCRIPT_TAG, '').trim() };
  }
  return { name: DEFAULT_SCRIPT, task: (conversation.userTexts[0] ?? '').trim() };
}

export function pickStep(script: Script, priorTurns: number): { step: ScriptStep; index: number } {
  if (priorTurns < script.steps.length) return { step: script.steps[priorTurns]!, index: priorTurns };
  if (script.repeatLast && script.steps.length > 0) {
    return { step: script.steps[script.steps.length - 1]!, index: script.steps.length - 1 };
  }
  return { step: FINAL_STEP, index: priorTurns };
}

export interface TemplateVars {
  task: string;
  /** 1-based model turn. */
  turn: number;
  /** 1-based request number on the server. */
  n: number;
}

export interface RenderedCall {
  name: string;
  /** JSON text, as the API sends arguments. */
  arguments: string;
}

export interface RenderedStep {
  text?: string;
  calls: RenderedCall[];
  reasoningTokens: number;
}

export function renderStep(step: ScriptStep, vars: TemplateVars): RenderedStep {
  const calls = (step.calls ?? []).map(c => ({
    name: c.name,
    arguments: JSON.stringify(fillTemplates(c.arguments, vars)),
  }));
  // A step with neither text nor calls still answers something: an empty message.
  const text = step.text !== undefined ? fill(step.text, vars) : calls.length ? undefined : '';
  return { ...(text !== undefined ? { text } : {}), calls, reasoningTokens: Math.max(0, step.reasoningTokens ?? 0) };
}

function fill(template: string, vars: TemplateVars): string {
  return template.replace(/\{\{(task|turn|n)\}\}/g, (_, name: keyof TemplateVars) => String(vars[name]));
}

function fillTemplates(value: unknown, vars: TemplateVars): unknown {
  if (typeof value === 'string') return fill(value, vars);
  if (Array.isArray(value)) return value.map(v => fillTemplates(v, vars));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplates(v, vars)]));
  }
  return value;
}

export interface PlannedCall extends RenderedCall {
  complete: boolean;
}

/** What the turn actually produces once max_output_tokens is applied. */
export interface TurnPlan {
  text?: { text: string; complete: boolean };
  calls: PlannedCall[];
  reasoningTokens: number;
  outputTokens: number;
  /** The budget ran out before the step was fully produced. */
  truncated: boolean;
}

/**
 * Spends the output budget in the order a model does: reasoning, then text, then each call. A call
 * cut by the budget is kept with partial arguments and marked incomplete, as the API does.
 */
export function planTurn(step: RenderedStep, maxOutputTokens: number | undefined): TurnPlan {
  let budget = maxOutputTokens ?? Number.POSITIVE_INFINITY;
  const reasoningTokens = Math.min(step.reasoningTokens, budget);
  budget -= reasoningTokens;
  let truncated = reasoningTokens < step.reasoningTokens;
  let used = reasoningTokens;
  const plan: TurnPlan = { calls: [], reasoningTokens, outputTokens: 0, truncated: false };

  if (step.text !== undefined && !truncated) {
    const need = countTokens(step.text);
    const kept = need <= budget ? step.text : truncateToTokens(step.text, budget);
    const cost = countTokens(kept);
    truncated = kept !== step.text;
    if (!truncated || kept.length > 0) plan.text = { text: kept, complete: !truncated };
    budget -= cost;
    used += cost;
  }
  for (const call of step.calls) {
    if (truncated) break;
    const nameCost = countTokens(call.name);
    const need = nameCost + countTokens(call.arguments);
    if (need <= budget) {
      plan.calls.push({ ...call, complete: true });
      budget -= need;
      used += need;
      continue;
    }
    truncated = true;
    if (budget > nameCost) {
      const args = truncateToTokens(call.arguments, budget - nameCost);
      plan.calls.push({ name: call.name, arguments: args, complete: false });
      used += nameCost + countTokens(args);
    }
  }
  plan.outputTokens = used;
  plan.truncated = truncated;
  return plan;
}

/** A played turn: what it produced, what it cost, and the tier that served it. */
export interface TurnOutcome {
  plan: TurnPlan;
  usage: RecordedUsage;
  servedTier: string;
  /** 16 hex digits naming this response; ids of its items carry it. */
  tag: string;
  /** Server clock, ms. */
  createdAt: number;
}

/** Word-sized pieces (leading whitespace kept), as a model streams text. */
export function textDeltas(text: string): string[] {
  return text.match(/\s*\S+|\s+/g) ?? [];
}

/** Fixed-size pieces of code points, as a model streams call arguments. */
export function argumentDeltas(args: string, size = 16): string[] {
  const chars = Array.from(args);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}
