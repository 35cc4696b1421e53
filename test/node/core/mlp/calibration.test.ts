// The calibration pass that ends federated MLP training: its sums on a hand-made case, the Newton
// step on the quality biases, and the pass through the algorithm contract with every client.
import { describe, expect, it } from "vitest";
import { roundSchedule, simulate, sumContributions } from "../../../../core/federated.ts";
import { calibrationSums, withCalibratedBiases } from "../../../../core/mlp/calibration.ts";
import { createFederatedMlp } from "../../../../core/mlp/federated.ts";
import { parameterLayout, slotOf } from "../../../../core/mlp/layout.ts";
import { predictMlp } from "../../../../core/mlp/predict.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { mlpRouter } from "../../../../core/mlp/router-file.ts";
import { initialMlpState, type MlpState } from "../../../../core/mlp/state.ts";
import { type MlpTrainingSet, mlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { seededRandom } from "../../../../core/random.ts";
import { createOrtTrainer } from "../../../../ort/index.ts";
import { syntheticSet } from "./fixtures.ts";

const dimension = 8;
const models = ["strong-on-0", "strong-on-1", "cheap"];
const embedder = { id: "synthetic", dimension };

/**
 * Per model: mean predicted minus mean observed quality over every client's observed cells, each
 * cell weighted by the set's weight (1 without weights).
 */
function meanResiduals(state: MlpState, sets: readonly MlpTrainingSet[]): number[] {
  const m = models.length;
  const predicted = new Float64Array(m);
  const observed = new Float64Array(m);
  const cells = new Float64Array(m);
  for (const set of sets) {
    const { quality } = predictMlp(mlpRouter(state), set.features, set.n);
    for (let cell = 0; cell < set.n * m; cell++) {
      if (!set.observed[cell]) continue;
      const w = set.weight ? set.weight[cell]! : 1;
      predicted[cell % m]! += w * quality[cell]!;
      observed[cell % m]! += w * set.quality[cell]!;
      cells[cell % m]! += w;
    }
  }
  return Array.from({ length: m }, (_, j) => (predicted[j]! - observed[j]!) / cells[j]!);
}

/** Two rows of two models, three cells observed (row 0, model 1 is not). */
const twoRows = (weight?: Float32Array) =>
  mlpTrainingSet({
    n: 2,
    dimension: 1,
    modelCount: 2,
    features: new Float32Array(2),
    quality: Float32Array.from([1, 0, 0, 1]),
    cost: new Float32Array(4).fill(0.01),
    observed: Uint8Array.from([1, 0, 1, 1]),
    ...(weight ? { weight } : {}),
  });

describe("the MLP calibration pass", () => {
  it("sums residuals, sigmoid slopes and cells over observed cells only", () => {
    const set = twoRows();
    const sums = calibrationSums(set, [0.75, 0.9, 0.5, 0.2]);
    // Model 0: (1 - 0.75) + (0 - 0.5); slopes 0.1875 + 0.25; 2 cells. Model 1: only row 1, 1 - 0.2; 0.16; 1 cell.
    expect([...sums].map((x) => Number(x.toFixed(6)))).toEqual([-0.25, 0.8, 0.4375, 0.16, 2, 1]);
    expect(() => calibrationSums(set, [0.5])).toThrow(RangeError);
  });

  it("weights each cell by its training weight in all three sums", () => {
    const set = twoRows(Float32Array.from([2, 1, 0.5, 1]));
    const sums = calibrationSums(set, [0.75, 0.9, 0.5, 0.2]);
    // Model 0: 2 (1 - 0.75) + 0.5 (0 - 0.5); slopes 2 x 0.1875 + 0.5 x 0.25; weights 2.5. Model 1 as unweighted.
    expect([...sums].map((x) => Number(x.toFixed(6)))).toEqual([0.25, 0.8, 0.5, 0.16, 2.5, 1]);
  });

  it("moves each quality bias by one damped Newton step and leaves everything else", () => {
    const layout = parameterLayout({ dimension: 2, hidden: 3, modelCount: 2 });
    const params = Float32Array.from({ length: layout.size }, (_, i) => i / 100);
    const next = withCalibratedBiases(layout, params, [3, -2, 5, 0, 9, 0]);
    const bias = slotOf(layout, "quality.bias");
    expect(next[bias.offset]).toBeCloseTo(params[bias.offset]! + 3 / 6, 6);
    // No slope (nobody observed the model): the bias stays.
    expect(next[bias.offset + 1]).toBe(params[bias.offset + 1]);
    for (let i = 0; i < layout.size; i++) if (i !== bias.offset) expect(next[i]).toBe(params[i]);
  });

  it("ends training with a pass every client joins, after which each model's mean predicted quality matches its cells", async () => {
    const random = seededRandom(11);
    const sets = [0.9, 0.5, 0.1].map((mix) => syntheticSet(random, { n: 80, dimension, coverage: 0.5, mix }));
    const algorithm = createFederatedMlp(createReferenceTrainer());
    const initial = initialMlpState({ models, embedder, hidden: 16, batchSize: 32, rounds: 2, seed: 3 });
    const passes: number[][] = [];
    const trained = await simulate(algorithm, initial, sets, {
      random,
      fraction: 0.34,
      schedule: roundSchedule(5),
      onPass: (_, participants) => passes.push(participants),
    });
    expect(trained.phase).toBe("done");
    expect(passes).toHaveLength(4);
    // One client per training round (fraction 0.34 of 3), all three in the calibration pass.
    expect(passes.slice(1, 3).every((p) => p.length === 1)).toBe(true);
    expect(passes[3]).toEqual([0, 1, 2]);
    for (const r of meanResiduals(trained, sets)) expect(Math.abs(r)).toBeLessThan(0.01);

    // From biases 0.3 logits off (the drift measured on RouterBench: GPT-4's head at 0.80 against
    // an observed 0.845), one pass brings every model back within 0.01.
    const layout = parameterLayout({ dimension, hidden: 16, modelCount: 3 });
    const bias = slotOf(layout, "quality.bias");
    const params = trained.params.slice();
    for (let j = 0; j < 3; j++) params[bias.offset + j]! += j === 1 ? -0.3 : 0.3;
    const off: MlpState = { ...trained, phase: "calibrate", params };
    const before = meanResiduals(off, sets);
    for (const r of before) expect(Math.abs(r)).toBeGreaterThan(0.04);
    const total = sumContributions(
      await Promise.all(sets.map((set) => algorithm.contribute(off, set, random))),
      algorithm.contributionLength(off),
    );
    const after = algorithm.finalise(off, total);
    expect(after.phase).toBe("done");
    for (const r of meanResiduals(after, sets)) expect(Math.abs(r)).toBeLessThan(0.01);

    // A trainer that predicts on onnxruntime gives the reference's sums.
    const ort = createFederatedMlp(createOrtTrainer({ backend: "wasm" }));
    const viaOrt = await ort.contribute(off, sets[0]!, random);
    const viaReference = await algorithm.contribute(off, sets[0]!, random);
    for (let i = 0; i < viaReference.length; i++) expect(viaOrt[i]).toBeCloseTo(viaReference[i]!, 3);
  });

  it("with inverse-propensity weights, puts each model's mean on the weighted mean of its cells, not the plain one", async () => {
    const random = seededRandom(12);
    // Weights that favour correct answers 4 to 1: the weighted and plain means of a model differ.
    const sets = [0.8, 0.2].map((mix) => {
      const set = syntheticSet(random, { n: 80, dimension, coverage: 0.6, mix });
      set.weight = Float32Array.from(set.quality, (q, cell) => (set.observed[cell] ? (q > 0 ? 2 : 0.5) : 1));
      return set;
    });
    const plain = sets.map(({ weight: _weight, ...set }) => set);
    const algorithm = createFederatedMlp(createReferenceTrainer());
    const initial = initialMlpState({ models, embedder, hidden: 16, batchSize: 32, rounds: 1, seed: 4 });
    const trained = await simulate(algorithm, initial, sets, { random, fraction: 1 });
    const off: MlpState = { ...trained, phase: "calibrate" };
    const total = sumContributions(
      await Promise.all(sets.map((set) => algorithm.contribute(off, set, random))),
      algorithm.contributionLength(off),
    );
    const after = algorithm.finalise(off, total);
    for (const r of meanResiduals(after, sets)) expect(Math.abs(r)).toBeLessThan(0.01);
    // Against the plain means every model now sits above: the weights moved it, as the loss's do.
    for (const r of meanResiduals(after, plain)) expect(r).toBeGreaterThan(0.05);
  });
});
