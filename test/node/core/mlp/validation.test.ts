// Early stopping on the federated validation signal: the held-out rows, the summed loss they
// report, and the server's record of the best weights.
import { describe, expect, it } from "vitest";
import { sumContributions } from "../../../../core/federated.ts";
import { allocateBatch, fillBatch } from "../../../../core/mlp/batch.ts";
import { mlpKind } from "../../../../core/mlp/kind.ts";
import { parameterLayout } from "../../../../core/mlp/layout.ts";
import { maskedLoss, referenceForward } from "../../../../core/mlp/reference.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { mlpFromModelFile, mlpToModelFile } from "../../../../core/mlp/router-file.ts";
import { initialMlpState, type MlpState, mlpShape } from "../../../../core/mlp/state.ts";
import { finaliseValidation, validationSplit, validationSums } from "../../../../core/mlp/validation.ts";
import { seededRandom } from "../../../../core/random.ts";
import type { KindSetup } from "../../../../core/routers/kind.ts";
import { trainWithinFootprint } from "../../../support/footprint.ts";
import { statsOf, syntheticSet } from "./fixtures.ts";

const dimension = 8;
const config = {
  models: ["strong-on-0", "strong-on-1", "cheap"],
  embedder: { id: "synthetic", dimension },
  hidden: 16,
  batchSize: 32,
  validationShare: 0.25,
  patience: 2,
  rounds: 10,
};

const sets = () => {
  const random = seededRandom(5);
  return [0.9, 0.2, 0.5].map((mix) => syntheticSet(random, { n: 120, dimension, coverage: 0.5, mix }));
};

describe("the federated validation signal", () => {
  it("holds out the same rows every time, about the share asked, and trains on the rest", () => {
    const set = sets()[0]!;
    const held = validationSplit(set, 0.25, true);
    const kept = validationSplit(set, 0.25, false);
    expect(held.n + kept.n).toBe(set.n);
    expect(held.n).toBeGreaterThan(15);
    expect(held.n).toBeLessThan(45);
    expect(Array.from(validationSplit(set, 0.25, true).features)).toEqual(Array.from(held.features));
    // Every row lands on exactly one side.
    const rows = new Set<string>();
    for (const part of [held, kept])
      for (let q = 0; q < part.n; q++)
        rows.add(part.features.subarray(q * dimension, (q + 1) * dimension).join());
    expect(rows.size).toBe(set.n);
    expect(validationSplit(set, 0, true).n).toBe(0);
    expect(validationSplit(set, 0, false)).toBe(set);
  });

  it("sums, over clients, the held-out cells' loss at the global weights", () => {
    const clients = sets();
    const state: MlpState = {
      ...initialMlpState(config),
      phase: "validate",
      costStats: statsOf(clients[0]!),
    };
    const total = sumContributions(
      clients.map((set) => validationSums(state, set)),
      2,
    );
    // The same loss computed on the pooled held-out rows.
    const held = clients.map((set) => validationSplit(set, 0.25, true));
    let cells = 0;
    let loss = 0;
    const layout = parameterLayout(mlpShape(state.config));
    for (const part of held) {
      const batch = allocateBatch(layout.shape, part.n);
      fillBatch(
        batch,
        part,
        Array.from({ length: part.n }, (_, q) => q),
        state.costStats!,
        0,
        seededRandom(0),
      );
      const cache = referenceForward(layout, Float64Array.from(state.params), batch.features, part.n, null);
      let own = 0;
      for (const o of batch.observed) own += o;
      cells += own;
      loss += maskedLoss(cache, batch).loss * own;
    }
    expect(total[1]).toBe(cells);
    expect(total[0]).toBeCloseTo(loss, 9);
    expect(cells).toBeGreaterThan(0);
  });

  it("keeps the best weights and stops on them after `patience` passes without improvement", () => {
    let state: MlpState = { ...initialMlpState(config), phase: "validate", round: 1 };
    const weights = (value: number) => new Float32Array(state.params.length).fill(value);
    // Mean losses 1.0, 0.8, 0.9, 0.85 over 10 cells, with the weights at each pass filled by its number.
    const losses = [1, 0.8, 0.9, 0.85];
    const phases: string[] = [];
    const best: (number | undefined)[] = [];
    for (const [pass, loss] of losses.entries()) {
      state = finaliseValidation(
        { ...state, params: weights(pass), round: pass + 1 },
        Float64Array.of(10 * loss, 10),
        "done",
      );
      phases.push(state.phase);
      best.push(state.validation?.bestLoss);
    }
    expect(phases).toEqual(["train", "train", "train", "done"]);
    // The record ends with training.
    expect(best).toEqual([1, 0.8, 0.8, undefined]);
    expect(Array.from(state.params.subarray(0, 3))).toEqual([1, 1, 1]);
  });

  it("ends a federated run early on its best weights, within its footprint", async () => {
    // A learning rate far too high makes the validation loss rise from the first rounds.
    const setup: KindSetup = {
      models: config.models,
      embedder: config.embedder,
      hyperparameters: { hidden: 16, batchSize: 32, validationShare: 0.25, patience: 2, rounds: 40 },
    };
    const initial = mlpKind.initialState(setup);
    const fast = {
      ...initial,
      config: { ...initial.config, optimizer: { ...initial.config.optimizer, learningRate: 0.5 } },
    };
    const trained = await trainWithinFootprint(mlpKind, mlpKind.footprint(setup), fast, sets(), {
      trainer: createReferenceTrainer(),
    });
    expect(trained.state.phase).toBe("done");
    expect(trained.state.round).toBeLessThan(40);
    // The best weights rode beside the current ones while validating, and are gone once trained.
    expect(trained.largest.tensorBytes).toBe(mlpKind.footprint(setup).tensorBytes);
    expect(trained.state.validation).toBeUndefined();
  });

  it("resumes from its model file between validation passes", () => {
    const start: MlpState = { ...initialMlpState(config), phase: "validate", round: 1 };
    const validating = finaliseValidation(start, Float64Array.of(5, 10), "done");
    expect(validating.phase).toBe("train");
    const reread = mlpFromModelFile(mlpToModelFile(validating));
    expect(Array.from(reread.validation!.bestParams)).toEqual(Array.from(start.params));
    expect(reread.validation?.bestLoss).toBe(0.5);
    expect(reread.validation?.sinceBest).toBe(0);
  });
});
