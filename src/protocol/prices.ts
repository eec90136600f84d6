// What a price override looks like (model → tier → USD per million tokens), checked the same way where it is
// typed (VS Code's settings) and where a CLI run reads it back (config.json): one the editor accepts is never
// refused by the CLI.

/** Tiers an override may name: the price table's own names and their aliases ("fast" is priority, "default" standard). */
const PRICE_TIERS: readonly string[] = ['standard', 'priority', 'flex', 'default', 'fast'];
const REQUIRED: readonly string[] = ['input', 'cachedInput', 'output'];
const FIELDS: readonly string[] = [...REQUIRED, 'cacheWrite'];

/** The most a price may be, in USD per million tokens: more is a typo (a price per token, or per billion). */
export const MAX_USD_PER_MILLION = 1_000_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with `prices`, named by its path under `name` (`prices.gpt-5.4.standard.input`), or undefined when nothing is. */
export function pricesProblem(prices: unknown, name = 'prices'): string | undefined {
  if (!isObject(prices)) return `"${name}" should be an object of models`;
  for (const [bare, tiers] of Object.entries(prices)) {
    const model = `${name}.${bare}`;
    if (!bare.trim()) return `"${name}" names a model with no name`;
    if (!isObject(tiers)) return `${model} should be an object of tiers (${PRICE_TIERS.join(', ')})`;
    for (const [tier, price] of Object.entries(tiers)) {
      if (!PRICE_TIERS.includes(tier)) return `${model}.${tier} is not a tier (${PRICE_TIERS.join(', ')})`;
      if (!isObject(price)) return `${model}.${tier} should be an object with input, cachedInput and output`;
      // A misspelt field would be a price that silently does not hold; named before the field it stands for is missed.
      for (const field of Object.keys(price)) if (!FIELDS.includes(field)) return `${model}.${tier}.${field} is not a price (${FIELDS.join(', ')})`;
      for (const field of REQUIRED) if (!(field in price)) return `${model}.${tier} has no ${field}`;
      for (const [field, usd] of Object.entries(price)) {
        if (!(typeof usd === 'number' && Number.isFinite(usd) && usd >= 0 && usd <= MAX_USD_PER_MILLION)) return `${model}.${tier}.${field} should be a number of dollars per million tokens (0 to ${MAX_USD_PER_MILLION.toLocaleString('en-US')}), not ${valueText(usd)}`;
      }
    }
  }
  return undefined;
}

/**
 * The models of `prices` whose overrides are good, and what is wrong with each of the others: one bad entry
 * leaves out its own model's override, not every model's. Undefined when `prices` is not an object of models.
 */
export function goodPrices(prices: unknown, name = 'prices'): { prices: Record<string, unknown>; problems: { model: string; problem: string }[] } | undefined {
  if (!isObject(prices)) return undefined;
  const good: Record<string, unknown> = {};
  const problems: { model: string; problem: string }[] = [];
  for (const [model, tiers] of Object.entries(prices)) {
    const problem = pricesProblem({ [model]: tiers }, name);
    if (problem) problems.push({ model, problem });
    else good[model] = tiers;
  }
  return { prices: good, problems };
}

/** A value as a message about it shows it: JSON would show a number too large to hold (1e400 in a JSON file reads as Infinity) as null. */
export function valueText(v: unknown): string {
  return typeof v === 'number' && !Number.isFinite(v) ? `${v} (a number that is not finite)` : JSON.stringify(v);
}
