// The MLP footprint bounds every pass of a training, of adding models and of joining clients, and
// is computed from the configuration alone.
import { describe, expect, it } from "vitest";
import { mlpKind } from "../../../../core/mlp/kind.ts";
import { parameterLayout } from "../../../../core/mlp/layout.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { seededRandom } from "../../../../core/random.ts";
import type { KindSetup } from "../../../../core/routers/kind.ts";
import { seededEvaluationSet } from "../../../support/evaluation-sets.ts";
import { trainWithinFootprint } from "../../../support/footprint.ts";

const embedder = { id: "hashing-test", dimension: 6 };
const compute = { trainer: createReferenceTrainer() };

function sets(models: number, seed: number) {
  const random = seededRandom(seed);
  return Array.from({ length: 3 }, () =>
    seededEvaluationSet(random, { queries: 30, dimension: embedder.dimension, models }),
  );
}

describe("the MLP footprint", () => {
  it("bounds the tensors and contributions of training, adding models and joining clients", async () => {
    const setup: KindSetup = { models: ["a", "b"], embedder, hyperparameters: { hidden: 4, rounds: 2 } };
    const footprint = mlpKind.footprint(setup);
    const parameters = parameterLayout({ dimension: 6, hidden: 4, modelCount: 2 }).size;
    expect(footprint).toEqual({
      tensorBytes: 4 * parameters + 8 * 3 * 2,
      contributionLength: 1 + 2 + parameters,
    });
    const trained = await trainWithinFootprint(
      mlpKind,
      footprint,
      mlpKind.initialState(setup),
      sets(2, 1),
      compute,
    );
    // A training round sends every parameter's delta: the bound is reached.
    expect(trained.largest).toEqual(footprint);

    const grownSetup = { ...setup, models: ["a", "b", "c"] };
    const adding = mlpKind.addModels!(trained.state, ["c"]);
    const added = await trainWithinFootprint(
      mlpKind,
      mlpKind.footprint(grownSetup, adding),
      adding,
      sets(3, 2),
      compute,
    );

    const joining = mlpKind.joinClients!(added.state);
    const joinFootprint = mlpKind.footprint(grownSetup, joining);
    const grownParameters = parameterLayout({ dimension: 6, hidden: 4, modelCount: 3 }).size;
    // The frozen teacher doubles the weights while clients join.
    expect(joinFootprint.tensorBytes).toBe(8 * grownParameters + 8 * 3 * 3);
    const joined = await trainWithinFootprint(mlpKind, joinFootprint, joining, sets(3, 3), compute);
    expect(joined.largest.tensorBytes).toBe(joinFootprint.tensorBytes);
  });

  it("reckons a router too large to allocate without building it", () => {
    const footprint = mlpKind.footprint({
      models: ["a", "b"],
      embedder: { id: "huge", dimension: 16_384 },
      hyperparameters: { hidden: 50_000 },
    });
    expect(footprint.contributionLength).toBeGreaterThan(3e9);
  });
});
