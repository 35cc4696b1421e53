// The baselines on a hand-made case: every mean below is worked out by hand from the cells, all
// dyadic, so float32 storage carries them exactly and the predictions compare with toEqual.
import { describe, expect, it } from "vitest";
import { type EvaluationSet, emptyEvaluationSet } from "../../../core/data/evaluations.ts";
import {
  fitBaselines,
  hasTaskLabels,
  queryBlindPredictor,
  taskLookupPredictor,
} from "../../../experiments/baselines.ts";

const MODELS = 3;
const DIMENSION = 2;

/** A set whose rows judge the given cells: [row, model, quality, cost]. */
function judged(rows: number, cells: [number, number, number, number][]): EvaluationSet {
  const set = emptyEvaluationSet(rows, DIMENSION, MODELS);
  // Features that differ per row: the baselines must ignore them.
  for (let i = 0; i < set.features.length; i++) set.features[i] = i % 5;
  for (const [q, j, quality, cost] of cells) {
    set.observed[q * MODELS + j] = 1;
    set.quality[q * MODELS + j] = quality;
    set.cost[q * MODELS + j] = cost;
  }
  return set;
}

// Model 0 is judged 4 times, model 1 three times, model 2 never.
const clientA = judged(3, [
  [0, 0, 1, 0.5],
  [0, 1, 0.5, 0.5],
  [1, 0, 0, 0.25],
  [2, 1, 1, 1],
]);
const clientB = judged(3, [
  [0, 1, 0.75, 1.5],
  [1, 0, 0.5, 0.75],
  [2, 0, 1, 0.5],
]);
const SETS = [clientA, clientB];
const TASKS = [
  ["math", "code", "math"],
  ["code", "math", "prose"],
];

const features = (rows: number) => new Float32Array(rows * DIMENSION).map((_, i) => 7 - i);

describe("the query-blind baseline", () => {
  it("predicts each model's mean over the pooled judged cells for every query", async () => {
    const predicted = await queryBlindPredictor(SETS)(features(2));
    // Model 0: quality (1 + 0 + 0.5 + 1) / 4, cost (0.5 + 0.25 + 0.75 + 0.5) / 4;
    // model 1: quality (0.5 + 1 + 0.75) / 3, cost (0.5 + 1 + 1.5) / 3.
    expect([...predicted.quality]).toEqual([0.625, 0.75, 0, 0.625, 0.75, 0]);
    expect([...predicted.cost]).toEqual([0.5, 1, 0, 0.5, 1, 0]);
    // Nobody judged model 2, so it is never chosen.
    expect([...predicted.available!]).toEqual([1, 1, 0, 1, 1, 0]);
  });

  it("leaves every model available when each has a judged cell", async () => {
    const full = judged(1, [
      [0, 0, 1, 1],
      [0, 1, 0, 1],
      [0, 2, 0.5, 2],
    ]);
    const predicted = await queryBlindPredictor([full])(features(1));
    expect(predicted.available).toBeNull();
    expect([...predicted.quality]).toEqual([1, 0, 0.5]);
  });
});

describe("the task-label lookup", () => {
  it("predicts the mean per task and model, the model's mean where the task has no cell or is new", async () => {
    const lookup = taskLookupPredictor(SETS, TASKS);
    const predicted = await lookup(["math", "code", "prose", "unseen"])(features(4));
    expect([...predicted.quality]).toEqual([
      // math: model 0 from (1, 0.5), model 1 from (0.5, 1).
      0.75, 0.75, 0,
      // code: model 0 from (0), model 1 from (0.75).
      0, 0.75, 0,
      // prose: model 0 from (1); nobody judged model 1 on prose, so its mean.
      1, 0.75, 0,
      // A task no training query had: each model's mean.
      0.625, 0.75, 0,
    ]);
    expect([...predicted.cost]).toEqual([0.625, 0.75, 0, 0.25, 1.5, 0, 0.5, 1, 0, 0.5, 1, 0]);
    expect([...predicted.available!]).toEqual([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0]);
  });

  it("refuses a test set whose rows and task labels differ in number", () => {
    const lookup = taskLookupPredictor(SETS, TASKS)(["math"]);
    expect(() => lookup(features(2))).toThrow(/2 queries but 1 task labels/);
    expect(() => taskLookupPredictor(SETS, [["math"], TASKS[1]!])).toThrow(/3 rows, 1 task labels/);
  });
});

describe("fitBaselines", () => {
  it("fits both baselines where the rows carry task labels", async () => {
    const routers = fitBaselines(SETS, TASKS).forTestSet(["code"]);
    expect(Object.keys(routers)).toEqual(["queryBlind", "taskLookup"]);
    expect([...(await routers.taskLookup!(features(1))).quality]).toEqual([0, 0.75, 0]);
  });

  it("fits only the query-blind baseline when every row has the same label", () => {
    const oneLabel = SETS.map((set) => Array.from({ length: set.n }, () => ""));
    expect(hasTaskLabels(oneLabel)).toBe(false);
    expect(hasTaskLabels(TASKS)).toBe(true);
    expect(Object.keys(fitBaselines(SETS, oneLabel).forTestSet(["", ""]))).toEqual(["queryBlind"]);
  });
});
