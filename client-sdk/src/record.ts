// Checking an evaluation before it is stored: the store keeps exactly what training reads, and a
// bad value is refused at the call that brought it, not discovered rounds later.
import { requireArgument } from "./errors.ts";
import type { Evaluation } from "./store/store.ts";
import { checkTags } from "./tags.ts";

/** Longest query kept (characters): longer texts are almost certainly a mistake (a whole document). */
export const MAX_QUERY_LENGTH = 100_000;

const EVALUATION_KEYS = new Set(["query", "model", "quality", "cost", "at", "vector", "tags", "propensity"]);

/** Checks an evaluation and returns the copy to store (with `at` set when absent). */
export function checkedEvaluation(evaluation: unknown, now: () => number = Date.now): Evaluation {
  requireArgument(
    typeof evaluation === "object" && evaluation !== null && !Array.isArray(evaluation),
    "record(): the evaluation must be an object { query, model, quality, cost }",
  );
  for (const key of Object.keys(evaluation))
    requireArgument(EVALUATION_KEYS.has(key), `record(): unknown field "${key}"`);
  const e = evaluation as Partial<Evaluation>;
  requireArgument(
    typeof e.query === "string" && e.query.trim().length > 0 && e.query.length <= MAX_QUERY_LENGTH,
    `record(): query must be a non-empty string of at most ${MAX_QUERY_LENGTH} characters`,
  );
  requireArgument(
    typeof e.model === "string" && e.model.length > 0,
    "record(): model must be a non-empty string",
  );
  requireArgument(
    typeof e.quality === "number" && e.quality >= 0 && e.quality <= 1,
    `record(): quality must be a number in [0, 1], got ${String(e.quality)}`,
  );
  requireArgument(
    typeof e.cost === "number" && Number.isFinite(e.cost) && e.cost >= 0,
    `record(): cost must be a finite number of USD >= 0, got ${String(e.cost)}`,
  );
  requireArgument(
    e.at === undefined || (typeof e.at === "number" && Number.isFinite(e.at)),
    "record(): at must be milliseconds since the epoch",
  );
  requireArgument(
    e.propensity === undefined || (typeof e.propensity === "number" && e.propensity > 0 && e.propensity <= 1),
    `record(): propensity must be a number in (0, 1] (the route() decision's), got ${String(e.propensity)}`,
  );
  const vector = e.vector as unknown;
  requireArgument(
    vector === undefined ||
      (Array.isArray(vector) &&
        vector.length > 0 &&
        vector.every((x) => typeof x === "number" && Number.isFinite(x))),
    "record(): vector must be a non-empty array of finite numbers",
  );
  checkTags(e.tags, "record()");
  return {
    query: e.query,
    model: e.model,
    quality: e.quality,
    cost: e.cost,
    at: e.at ?? now(),
    ...(e.propensity !== undefined ? { propensity: e.propensity } : {}),
    ...(vector ? { vector: [...(vector as number[])] } : {}),
    ...(e.tags && e.tags.length > 0 ? { tags: [...e.tags] } : {}),
  };
}
