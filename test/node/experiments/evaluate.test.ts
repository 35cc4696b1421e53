// Several trainings of one router are scored as the expected AUC of a training: the mean of their
// AUCs, with the mean point at each lambda to plot; one training is scored as itself.
import { describe, expect, it } from "vitest";
import type { BatchPrediction } from "../../../core/prediction.ts";
import { seededRandom } from "../../../core/random.ts";
import { scoreRouter, scoreTrainings, type TestSet } from "../../../experiments/evaluate.ts";

const M = 3;
const N = 50;

function testSet(): TestSet {
  const random = seededRandom(4);
  const quality = Float64Array.from({ length: N * M }, (_, i) =>
    random() < [0.9, 0.6, 0.3][i % M]! ? 1 : 0,
  );
  const cost = Float64Array.from({ length: N * M }, (_, i) => [1e-2, 1e-3, 1e-4][i % M]! * (0.5 + random()));
  return { n: N, features: new Float32Array(N), quality, cost, modelCount: M };
}

/** Predictions that blend the truth with noise drawn from `seed`. */
function training(test: TestSet, seed: number, noise: number): BatchPrediction {
  const random = seededRandom(seed);
  return {
    quality: test.quality.map((y) => (1 - noise) * y + noise * random()),
    cost: test.cost.slice(),
    available: null,
  };
}

describe("scoreTrainings", () => {
  it("scores several trainings as the mean of their AUCs and of their points", async () => {
    const test = testSet();
    const trainings = [training(test, 1, 0.2), training(test, 2, 0.9), training(test, 3, 0.5)];
    const alone = await Promise.all(trainings.map((p) => scoreRouter(() => p, test)));
    // Different enough that a mean differs from any one of them.
    expect(Math.max(...alone.map((s) => s.auc)) - Math.min(...alone.map((s) => s.auc))).toBeGreaterThan(0.01);
    const scored = await scoreTrainings(
      trainings.map((p) => () => p),
      test,
    );
    expect(scored.auc).toBeCloseTo(alone.reduce((sum, s) => sum + s.auc, 0) / 3, 12);
    for (const [i, point] of scored.curve.entries()) {
      expect(point.lambda).toBe(alone[0]!.curve[i]!.lambda);
      expect(point.quality).toBeCloseTo(alone.reduce((sum, s) => sum + s.curve[i]!.quality, 0) / 3, 12);
      expect(point.cost).toBeCloseTo(alone.reduce((sum, s) => sum + s.curve[i]!.cost, 0) / 3, 12);
    }
  });

  it("scores one training, alone or in a list, as scoreRouter does", async () => {
    const test = testSet();
    const p = training(test, 5, 0.4);
    const expected = await scoreRouter(() => p, test);
    expect(await scoreTrainings(() => p, test)).toEqual(expected);
    expect(await scoreTrainings([() => p], test)).toEqual(expected);
  });
});
