// The routing rule: per query, the model maximising predicted quality - lambda * predicted cost,
// or the best predicted quality under a cost cap, restricted by allow and deny lists; with an
// exploration policy (exploration.ts), sometimes another eligible model, with its propensity.
import { checkExploration, choiceProbabilities, drawChoice, type ExplorationPolicy } from "./exploration.ts";
import type { Random } from "./random.ts";

/** A router's predictions for one query: one entry per model, in the router's model order. */
export interface Prediction {
  quality: ArrayLike<number>;
  cost: ArrayLike<number>;
  /** 0 where the router has no basis to predict this model (it is never chosen then). */
  available?: ArrayLike<number>;
}

export interface RouteOptions {
  /** Price of quality: score = quality - lambda * cost (USD). Default 0: best quality. */
  lambda?: number;
  /** Budget form: highest predicted quality among models whose predicted cost is at most this. */
  maxCost?: number;
  allow?: readonly string[];
  deny?: readonly string[];
  /** How to choose among the eligible models. Default greedy: always the best predicted one. */
  exploration?: ExplorationPolicy;
}

export interface RouteDecision {
  model: string;
  index: number;
  /** The probability with which the policy chose this model (1 under greedy). */
  propensity: number;
  /** Every model's predicted quality and cost, and whether it was eligible. */
  candidates: { model: string; quality: number; cost: number; eligible: boolean }[];
}

export class RoutingError extends Error {
  override name = "RoutingError";
  readonly code: "no_eligible_model" | "bad_options";
  constructor(code: RoutingError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

export function checkRouteOptions(models: readonly string[], options: RouteOptions): void {
  const { lambda, maxCost, allow, deny } = options;
  if (lambda !== undefined && !(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RoutingError("bad_options", `lambda must be a finite number >= 0, got ${lambda}`);
  }
  if (maxCost !== undefined && !(Number.isFinite(maxCost) && maxCost >= 0)) {
    throw new RoutingError("bad_options", `maxCost must be a finite number >= 0, got ${maxCost}`);
  }
  if (lambda !== undefined && maxCost !== undefined) {
    throw new RoutingError("bad_options", "give either lambda or maxCost, not both");
  }
  const exploring = options.exploration ? checkExploration(options.exploration) : undefined;
  if (exploring) throw new RoutingError("bad_options", exploring);
  for (const name of [...(allow ?? []), ...(deny ?? [])]) {
    if (!models.includes(name))
      throw new RoutingError("bad_options", `unknown model "${name}" in allow/deny list`);
  }
}

/**
 * Chooses a model for one query. Greedy ties go to the cheaper model, then to the earlier one.
 * `random` draws exploring choices (exploration is not secret, so any uniform source will do).
 */
export function route(
  models: readonly string[],
  prediction: Prediction,
  options: RouteOptions = {},
  random: Random = Math.random,
): RouteDecision {
  checkRouteOptions(models, options);
  const allow = options.allow ? new Set(options.allow) : null;
  const deny = new Set(options.deny ?? []);
  const lambda = options.lambda ?? 0;
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  let bestCost = Number.POSITIVE_INFINITY;
  const candidates = models.map((model, j) => {
    const quality = prediction.quality[j] ?? Number.NaN;
    const cost = prediction.cost[j] ?? Number.NaN;
    const eligible =
      (prediction.available?.[j] ?? 1) !== 0 &&
      Number.isFinite(quality) &&
      Number.isFinite(cost) &&
      (!allow || allow.has(model)) &&
      !deny.has(model) &&
      (options.maxCost === undefined || cost <= options.maxCost);
    if (eligible) {
      const score = options.maxCost === undefined ? quality - lambda * cost : quality;
      if (score > bestScore || (score === bestScore && cost < bestCost)) {
        best = j;
        bestScore = score;
        bestCost = cost;
      }
    }
    return { model, quality, cost, eligible };
  });
  if (best < 0) {
    throw new RoutingError(
      "no_eligible_model",
      options.maxCost !== undefined
        ? `no model is predicted to cost at most ${options.maxCost} USD within the allow/deny lists`
        : "no model is eligible under the allow/deny lists",
    );
  }
  const exploration = options.exploration ?? { policy: "greedy" };
  if (exploration.policy === "greedy")
    return { model: models[best] as string, index: best, propensity: 1, candidates };
  const scores = candidates.map((c) =>
    options.maxCost === undefined ? c.quality - lambda * c.cost : c.quality,
  );
  const eligible = candidates.map((c) => (c.eligible ? 1 : 0));
  const probabilities = choiceProbabilities(scores, eligible, best, exploration);
  const index = drawChoice(probabilities, random);
  return { model: models[index] as string, index, propensity: probabilities[index]!, candidates };
}

/**
 * Vectorised form for evaluation: for n queries with row-major [query][model] predictions,
 * writes the chosen model index of each query into `choice` (-1 where none is eligible).
 */
export function chooseByLambda(
  quality: Float64Array,
  cost: Float64Array,
  available: Uint8Array | null,
  modelCount: number,
  lambda: number,
  choice: Int32Array,
): Int32Array {
  const n = choice.length;
  for (let q = 0; q < n; q++) {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    let bestCost = Number.POSITIVE_INFINITY;
    const row = q * modelCount;
    for (let j = 0; j < modelCount; j++) {
      if (available && available[row + j] === 0) continue;
      const c = cost[row + j]!;
      const score = quality[row + j]! - lambda * c;
      if (score > bestScore || (score === bestScore && c < bestCost)) {
        best = j;
        bestScore = score;
        bestCost = c;
      }
    }
    choice[q] = best;
  }
  return choice;
}
