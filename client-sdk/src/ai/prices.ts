// What a call cost: its token usage priced with the app's price table (USD per million tokens, the
// unit federations configure their models' prices in).
import type { LanguageModelV4Usage } from "@ai-sdk/provider";
import { requireArgument } from "../errors.ts";

/** One model's prices in US dollars per million tokens, as a federation's configuration holds them. */
export interface ModelPrice {
  inputPrice: number;
  outputPrice: number;
}

/** Prices per fedrouter model name, or the federation's priced model list ({ id, inputPrice, outputPrice }[]). */
export type PriceTable = Record<string, ModelPrice> | readonly (ModelPrice & { id: string })[];

/** Checks a price table and returns it keyed by model name. */
export function checkedPrices(table: PriceTable, models: readonly string[]): Map<string, ModelPrice> {
  requireArgument(typeof table === "object" && table !== null, "fedrouterModel(): prices must be an object");
  const entries: [string, unknown][] = Array.isArray(table)
    ? table.map((p) => [(p as { id: string }).id, p])
    : Object.entries(table);
  const prices = new Map<string, ModelPrice>();
  for (const [model, price] of entries) {
    const p = price as Partial<ModelPrice> | null;
    requireArgument(
      typeof p === "object" &&
        p !== null &&
        [p.inputPrice, p.outputPrice].every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0),
      `fedrouterModel(): the price of "${model}" needs inputPrice and outputPrice, finite USD per million tokens >= 0`,
    );
    prices.set(model, { inputPrice: p.inputPrice!, outputPrice: p.outputPrice! });
  }
  for (const model of models)
    requireArgument(prices.has(model), `fedrouterModel(): the price table has no price for "${model}"`);
  return prices;
}

/**
 * The cost of a call (USD), or undefined when the model did not report both token counts: an
 * unknown cost is not recorded as a guess, since the router would learn it as a true one.
 */
export function callCost(usage: LanguageModelV4Usage, price: ModelPrice): number | undefined {
  const input = usage.inputTokens.total;
  const output = usage.outputTokens.total;
  if (input === undefined || output === undefined) return undefined;
  return (input * price.inputPrice + output * price.outputPrice) / 1e6;
}
