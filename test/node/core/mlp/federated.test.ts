// A short federated run on small synthetic data: clients with different task mixes and model
// coverage train the MLP router, and the global model fits better than where it started.
import { describe, expect, it } from "vitest";
import { simulate } from "../../../../core/federated.ts";
import { allocateBatch, fillBatch } from "../../../../core/mlp/batch.ts";
import { createFederatedMlp, localTrainingOptions } from "../../../../core/mlp/federated.ts";
import { parameterLayout } from "../../../../core/mlp/layout.ts";
import type { LocalTrainer } from "../../../../core/mlp/local-training.ts";
import { predictMlp } from "../../../../core/mlp/predict.ts";
import { maskedLoss, referenceForward } from "../../../../core/mlp/reference.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { mlpRouter } from "../../../../core/mlp/router-file.ts";
import { initialMlpState, type MlpState } from "../../../../core/mlp/state.ts";
import type { MlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { seededRandom } from "../../../../core/random.ts";
import { createOrtTrainer } from "../../../../ort/index.ts";
import { syntheticSet } from "./fixtures.ts";

const dimension = 8;
const models = ["strong-on-0", "strong-on-1", "cheap"];
const embedder = { id: "synthetic", dimension };

function clients(): MlpTrainingSet[] {
  const random = seededRandom(21);
  return [
    syntheticSet(random, { n: 120, dimension, coverage: 0.5, mix: 0.9 }),
    syntheticSet(random, { n: 120, dimension, coverage: 0.5, mix: 0.1, unseen: [0] }),
    syntheticSet(random, { n: 80, dimension, coverage: 0.7, mix: 0.5, unseen: [2] }),
    syntheticSet(random, { n: 100, dimension, coverage: 0.4, mix: 0.3 }),
  ];
}

/** The masked loss of a state on a set, without dropout. */
function lossOn(state: MlpState, set: MlpTrainingSet): number {
  const layout = parameterLayout(localTrainingOptions(state).shape);
  const batch = allocateBatch(layout.shape, set.n);
  fillBatch(
    batch,
    set,
    Array.from({ length: set.n }, (_, i) => i),
    state.costStats!,
    0,
    seededRandom(0),
  );
  const cache = referenceForward(layout, Float64Array.from(state.params), batch.features, set.n, null);
  return maskedLoss(cache, batch).loss;
}

async function train(trainer: LocalTrainer, weighting: "per-head" | "fedavg") {
  const algorithm = createFederatedMlp(trainer);
  const initial = initialMlpState({
    models,
    embedder,
    hidden: 16,
    batchSize: 32,
    rounds: 6,
    localEpochs: 2,
    weighting,
    optimizer: { learningRate: 5e-3 },
  });
  const data = clients();
  const trained = await simulate(algorithm, initial, data, { fraction: 0.75, random: seededRandom(3) });
  const test = syntheticSet(seededRandom(99), { n: 200, dimension, coverage: 1 });
  const untrained = { ...initial, costStats: trained.costStats };
  return { trained, test, before: lossOn(untrained, test), after: lossOn(trained, test) };
}

describe("federated MLP training", () => {
  it("lowers the held-out loss with the reference trainer and learns which model suits which cluster", async () => {
    const { trained, test, before, after } = await train(createReferenceTrainer(), "per-head");
    expect(after).toBeLessThan(0.8 * before);
    const prediction = predictMlp(mlpRouter(trained), test.features, test.n);
    // Rows from cluster 0 have feature 0 high: model 0 should be predicted better there than model 1.
    let agree = 0;
    for (let q = 0; q < test.n; q++) {
      const cluster0 = test.features[q * dimension]! > test.features[q * dimension + 1]!;
      const prefers0 = prediction.quality[q * 3]! > prediction.quality[q * 3 + 1]!;
      if (cluster0 === prefers0) agree++;
    }
    expect(agree / test.n).toBeGreaterThan(0.9);
  });

  it("lowers the held-out loss the same way with the ONNX/WASM trainer", async () => {
    const reference = await train(createReferenceTrainer(), "fedavg");
    const wasm = await train(createOrtTrainer({ backend: "wasm" }), "fedavg");
    expect(wasm.after).toBeLessThan(0.8 * wasm.before);
    // Same seeds, same batches and masks: float32 versus float64 only.
    expect(Math.abs(wasm.after - reference.after)).toBeLessThan(0.01 * reference.after);
  });
});
