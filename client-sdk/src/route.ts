// Routing one query: its vector (embedded on the device, or given by the app), every model's
// predicted quality and cost from the held model version, and the routing rule of core/routing.ts.
import { type ExplorationPolicy, explorationFor } from "../../core/exploration.ts";
import {
  type RouteOptions as CoreRouteOptions,
  checkRouteOptions,
  RoutingError,
  route,
} from "../../core/routing.ts";
import { FedRouterError, requireArgument } from "./errors.ts";
import type { ModelPredictor } from "./model/predictor.ts";
import { checkTags } from "./tags.ts";

export interface RouteOptions {
  /** Price of quality: the chosen model maximises quality - lambda * cost (USD). Default 0: best quality. */
  lambda?: number;
  /** Cost cap (USD): the best predicted quality among models predicted to cost at most this. Default: none. */
  maxCost?: number;
  /** Only these models may be chosen. Default: every model. */
  allow?: string[];
  /** These models are never chosen. Default: none. */
  deny?: string[];
  /**
   * "global": the federation's router; "personalised": the client's personaliser applied to it
   * (needs the `personaliser` client option). Default "global".
   */
  mode?: "global" | "personalised";
  /**
   * Context tags of the query (a feature, an endpoint, a category). Those in the federation's tag
   * vocabulary inform the prediction; the others are ignored. Default: none.
   */
  tags?: string[];
  /**
   * How to choose among the eligible models. "greedy" (the default): always the best predicted
   * one. "explore": the policy measured best for the federation's router kind (docs/exploration.md):
   * softmax over predicted utility, temperature 0.05, for K-means; greedy for the MLP, whose
   * exploration cost utility without a measurable AUC gain. For apps that record the outcome of the
   * model they were routed to, with its propensity. Or a policy with its own epsilon or temperature.
   */
  exploration?: "greedy" | "explore" | ExplorationPolicy;
}

export type RouteQuery = string | { vector: Float32Array };

export interface RoutePrediction {
  model: string;
  quality: number;
  /** USD. */
  cost: number;
  /** Whether the lists, the cost cap and the router's knowledge let this model be chosen. */
  eligible: boolean;
}

export interface RouteDecision {
  /** The chosen model. */
  model: string;
  /**
   * The probability with which the exploration policy chose this model (1 under greedy). Pass it
   * to record() with the model's evaluation, so that training can undo the policy's bias.
   */
  propensity: number;
  /** Every model's predicted quality and cost, in the router's model order. */
  predictions: RoutePrediction[];
  /** The model version that predicted. */
  version: number;
}

const ROUTE_KEYS = new Set(["lambda", "maxCost", "allow", "deny", "mode", "tags", "exploration"]);

/** Checks a query at the call: a non-empty string, or a vector of finite numbers. */
export function checkQuery(query: unknown): asserts query is RouteQuery {
  if (typeof query === "string") {
    requireArgument(query.trim().length > 0, "route(): the query is empty");
    return;
  }
  requireArgument(
    typeof query === "object" &&
      query !== null &&
      (query as { vector?: unknown }).vector instanceof Float32Array,
    "route(): the query must be a string or { vector: Float32Array }",
  );
  const vector = (query as { vector: Float32Array }).vector;
  requireArgument(vector.length > 0, "route(): the query vector is empty");
  requireArgument(vector.every(Number.isFinite), "route(): the query vector has non-finite values");
}

/** Checks route options at the call (model names are checked once the model is known). */
export function checkRouteArguments(options: unknown): asserts options is RouteOptions {
  requireArgument(
    typeof options === "object" && options !== null && !Array.isArray(options),
    "route(): options must be an object",
  );
  for (const key of Object.keys(options))
    requireArgument(
      ROUTE_KEYS.has(key),
      `route(): unknown option "${key}" (known: ${[...ROUTE_KEYS].join(", ")})`,
    );
  const o = options as RouteOptions;
  for (const list of ["allow", "deny"] as const) {
    const value = o[list];
    requireArgument(
      value === undefined || (Array.isArray(value) && value.every((m) => typeof m === "string")),
      `route(): ${list} must be an array of model names`,
    );
  }
  requireArgument(
    o.mode === undefined || o.mode === "global" || o.mode === "personalised",
    `route(): mode must be "global" or "personalised", got ${JSON.stringify(o.mode)}`,
  );
  checkTags(o.tags, "route()");
  requireArgument(
    o.exploration === undefined ||
      o.exploration === "greedy" ||
      o.exploration === "explore" ||
      (typeof o.exploration === "object" && o.exploration !== null),
    'route(): exploration must be "greedy", "explore" or { policy, epsilon | temperature }',
  );
  try {
    // Model names (and the router kind "explore" resolves by) are unknown until a model is held:
    // check the numbers with every name allowed; every kind's "explore" policy is a valid one.
    checkRouteOptions([...(o.allow ?? []), ...(o.deny ?? [])], toCore(o, ""));
  } catch (error) {
    if (error instanceof RoutingError) throw new FedRouterError("bad_argument", `route(): ${error.message}`);
    throw error;
  }
}

function toCore(options: RouteOptions, kind: string): CoreRouteOptions {
  const { mode: _mode, tags: _tags, exploration, ...rest } = options;
  return { ...rest, exploration: explorationPolicy(exploration, kind) };
}

/** "explore" is the router kind's measured policy (core/exploration.ts KIND_EXPLORATION). */
export function explorationPolicy(exploration: RouteOptions["exploration"], kind: string): ExplorationPolicy {
  if (exploration === undefined || exploration === "greedy") return { policy: "greedy" };
  if (exploration === "explore") return explorationFor(kind);
  return exploration;
}

/** Routes one input row (the embedding, then the tag indicators) with a predictor of the given version. */
export async function routeVector(
  predictor: ModelPredictor,
  version: number,
  vector: Float32Array,
  options: RouteOptions,
): Promise<RouteDecision> {
  const prediction = await predictor.predict([vector]);
  try {
    const decision = route(
      predictor.models,
      {
        quality: prediction.quality[0]!,
        cost: prediction.cost[0]!,
        ...(prediction.available?.[0] ? { available: prediction.available[0] } : {}),
      },
      toCore(options, predictor.kind),
    );
    return {
      model: decision.model,
      propensity: decision.propensity,
      predictions: decision.candidates.map((c) => ({ ...c })),
      version,
    };
  } catch (error) {
    if (!(error instanceof RoutingError)) throw error;
    throw new FedRouterError(
      error.code === "no_eligible_model" ? "no_eligible_model" : "bad_argument",
      error.message,
      {
        cause: error,
      },
    );
  }
}
