// A trained federated MLP router grows: new models train their heads only (the trunk and the
// old heads keep their bytes), and joining clients train with distillation from the frozen base.
import { describe, expect, it } from "vitest";
import { simulate, sumContributions } from "../../../../core/federated.ts";
import {
  COST_SUMS_PER_MODEL,
  costStatsContribution,
  costStatsFromTotals,
} from "../../../../core/mlp/cost-normalisation.ts";
import { createFederatedMlp, localTrainingOptions } from "../../../../core/mlp/federated.ts";
import { newHeadsMask, newHeadsTrainingOptions } from "../../../../core/mlp/growth.ts";
import { parameterLayout } from "../../../../core/mlp/layout.ts";
import { predictMlp } from "../../../../core/mlp/predict.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { mlpRouter } from "../../../../core/mlp/router-file.ts";
import { initialMlpState, type MlpState } from "../../../../core/mlp/state.ts";
import type { MlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { decodeModelFile, encodeModelFile } from "../../../../core/model-file.ts";
import { seededRandom } from "../../../../core/random.ts";
import { createOrtTrainer } from "../../../../ort/index.ts";
import { syntheticSet } from "./fixtures.ts";

const dimension = 8;
const models = ["strong-on-0", "strong-on-1", "cheap"];
const embedder = { id: "synthetic", dimension };
const algorithm = createFederatedMlp(createReferenceTrainer());

/** The set restricted to its first `count` model columns (the router before models were added). */
function firstModels(set: MlpTrainingSet, count: number): MlpTrainingSet {
  const pick = <T extends Float32Array | Uint8Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(set.n * count);
    for (let q = 0; q < set.n; q++)
      out.set(a.subarray(q * set.modelCount, q * set.modelCount + count), q * count);
    return out;
  };
  return {
    ...set,
    modelCount: count,
    quality: pick(set.quality),
    cost: pick(set.cost),
    observed: pick(set.observed),
  };
}

function clients(seed: number, mixes: number[]): MlpTrainingSet[] {
  const random = seededRandom(seed);
  return mixes.map((mix) => syntheticSet(random, { n: 90, dimension, coverage: 0.5, mix }));
}

async function trainedBase(sets: MlpTrainingSet[], modelCount: number): Promise<MlpState> {
  const initial = initialMlpState({
    models: models.slice(0, modelCount),
    embedder,
    hidden: 16,
    batchSize: 32,
    rounds: 4,
    optimizer: { learningRate: 5e-3 },
  });
  return simulate(algorithm, initial, sets, { random: seededRandom(4) });
}

/** Runs the passes one by one, calling `check` after each. */
async function passes(state: MlpState, sets: MlpTrainingSet[], check: (s: MlpState) => void) {
  const random = seededRandom(6);
  let global = state;
  while (!algorithm.done(global)) {
    const contributions = [];
    for (const set of sets) contributions.push(await algorithm.contribute(global, set, random));
    global = algorithm.finalise(
      global,
      sumContributions(contributions, algorithm.contributionLength(global)),
    );
    check(global);
  }
  return global;
}

const roundTrip = (state: MlpState) =>
  algorithm.fromModelFile(decodeModelFile(encodeModelFile(algorithm.toModelFile(state))));

describe("adding models to a trained MLP router", () => {
  it("keeps the trunk's and the old heads' bytes through every new-model pass and learns the new heads", async () => {
    const full = clients(31, [0.8, 0.2, 0.5]);
    const trained = await trainedBase(
      full.map((s) => firstModels(s, 2)),
      2,
    );
    const grown = algorithm.addModels(trained, ["cheap"], { rounds: 3, learningRate: 0.01, localEpochs: 2 });
    const layout = parameterLayout({ dimension, hidden: 16, modelCount: 3 });
    const trainable = newHeadsMask(layout, 2);
    const frozenBytes = (params: Float32Array) =>
      new Uint8Array(Float32Array.from(params.filter((_, i) => !trainable[i])).buffer);
    const expected = frozenBytes(grown.params);
    // The widened parameters hold the trained ones: trunk and the two old heads.
    expect(expected).toEqual(new Uint8Array(trained.params.slice().buffer));
    const phases: string[] = [];
    const done = await passes(grown, full, (state) => {
      phases.push(state.phase);
      expect(frozenBytes(state.params)).toEqual(expected);
      expect(roundTrip(state).params).toEqual(state.params);
      expect(roundTrip(state).growth).toEqual(state.growth);
    });
    expect(phases).toEqual(["new-model-heads", "new-model-heads", "new-model-heads", "done"]);
    // The new model's statistics come from the sums over its observations; the old ones stay.
    const sums = sumContributions(
      full.map((s) => costStatsContribution(s)),
      3 * COST_SUMS_PER_MODEL,
    );
    const expectedStats = costStatsFromTotals(sums);
    expect(done.costStats!.mu[2]).toBeCloseTo(expectedStats.mu[2]!, 12);
    expect(done.costStats!.sigma[2]).toBeCloseTo(expectedStats.sigma[2]!, 12);
    expect([...done.costStats!.mu.subarray(0, 2)]).toEqual([...trained.costStats!.mu]);
    expect([...done.costStats!.count!]).toEqual([...expectedStats.count!]);
    // The new model costs twice as much on cluster 1 (feature 1 high): the new head has learnt it.
    const test = syntheticSet(seededRandom(77), { n: 200, dimension, coverage: 1 });
    const cost = predictMlp(mlpRouter(done), test.features, test.n).cost;
    let cluster0 = 0;
    let cluster1 = 0;
    let n0 = 0;
    for (let q = 0; q < test.n; q++) {
      const isCluster0 = test.features[q * dimension]! > test.features[q * dimension + 1]!;
      if (isCluster0) {
        cluster0 += cost[q * 3 + 2]!;
        n0++;
      } else cluster1 += cost[q * 3 + 2]!;
    }
    expect(cluster1 / (test.n - n0) / (cluster0 / n0)).toBeGreaterThan(1.3);
  });

  it("trains the new heads only on onnxruntime too: the trainer's output keeps every frozen byte", async () => {
    const full = clients(32, [0.7, 0.3]);
    const trained = await trainedBase(
      full.map((s) => firstModels(s, 2)),
      2,
    );
    const stats = await passes(algorithm.addModels(trained, ["cheap"], { rounds: 0 }), full, () => {});
    const heads = {
      ...stats,
      phase: "new-model-heads" as const,
      growth: { ...algorithm.addModels(trained, ["cheap"]).growth! },
    };
    const options = newHeadsTrainingOptions(heads, localTrainingOptions(heads));
    const { params } = await createOrtTrainer({ backend: "wasm" }).train(
      heads.params,
      full[0]!,
      options,
      seededRandom(1),
    );
    let moved = 0;
    for (let i = 0; i < params.length; i++) {
      if (options.trainable![i]) moved += params[i] !== heads.params[i] ? 1 : 0;
      else expect(params[i], `frozen parameter ${i}`).toBe(heads.params[i]);
    }
    expect(moved).toBe(2 * (16 + 1));
  });

  it("refuses an untrained router and models it already has", async () => {
    const initial = initialMlpState({ models, embedder, hidden: 4 });
    expect(() => algorithm.addModels(initial, ["new"])).toThrow(/trained router/);
    const trained = await trainedBase(clients(3, [0.5]), 3);
    expect(() => algorithm.addModels(trained, ["cheap"])).toThrow(/already/);
    expect(() => algorithm.addModels(trained, [])).toThrow(/no models/);
  });
});

describe("new clients joining a trained MLP router", () => {
  /** Mean absolute change of model 0's predicted quality on `test` between two states. */
  function drift(a: MlpState, b: MlpState, test: MlpTrainingSet): number {
    const pa = predictMlp(mlpRouter(a), test.features, test.n).quality;
    const pb = predictMlp(mlpRouter(b), test.features, test.n).quality;
    let total = 0;
    for (let q = 0; q < test.n; q++) total += Math.abs(pa[q * 3]! - pb[q * 3]!);
    return total / test.n;
  }

  it("trains only the joining clients for two rounds and, with distillation, drifts less from the base", async () => {
    const base = clients(41, [0.95, 0.9]);
    // The joining organisations never evaluate model 0, and judge the others differently.
    const random = seededRandom(42);
    const joining = [0.3, 0.7].map((mix) => {
      const set = syntheticSet(random, { n: 300, dimension, coverage: 0.6, mix, unseen: [0] });
      return { ...set, quality: set.quality.map((q) => 1 - q) };
    });
    const trained = await trainedBase(base, 3);
    const phases: string[] = [];
    const distilled = await passes(algorithm.joinClients(trained), joining, (state) => {
      phases.push(state.phase);
      if (state.phase === "join") {
        const restored = roundTrip(state);
        expect(restored.growth).toEqual(state.growth);
        expect(restored.params).toEqual(state.params);
      }
    });
    expect(phases).toEqual(["join", "done"]);
    expect(distilled.growth).toBeUndefined();
    const plain = await passes(algorithm.joinClients(trained, { distillation: 0 }), joining, () => {});
    // What the federation knew about model 0, on the joining clients' kind of queries.
    const test = syntheticSet(seededRandom(43), { n: 200, dimension, coverage: 1 });
    const kept = drift(trained, distilled, test);
    const forgotten = drift(trained, plain, test);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(0.8 * forgotten);
  });
});
