// The K-means footprint bounds every pass of a training, of adding models and of joining clients.
import { describe, expect, it } from "vitest";
import { kmeansKind } from "../../../../core/kmeans/kind.ts";
import { seededRandom } from "../../../../core/random.ts";
import type { KindSetup } from "../../../../core/routers/kind.ts";
import { withTagIndicators } from "../../../../core/routers/tags.ts";
import { seededEvaluationSet } from "../../../support/evaluation-sets.ts";
import { trainWithinFootprint } from "../../../support/footprint.ts";

const embedder = { id: "hashing-test", dimension: 6 };

function sets(models: number, seed: number) {
  const random = seededRandom(seed);
  return Array.from({ length: 3 }, () =>
    seededEvaluationSet(random, { queries: 40, dimension: embedder.dimension, models }),
  );
}

describe("the K-means footprint", () => {
  it("bounds the tensors and contributions of training, adding models and joining clients", async () => {
    const setup: KindSetup = {
      models: ["a", "b"],
      embedder,
      hyperparameters: { clusters: 4, lloydPasses: 3 },
    };
    const footprint = kmeansKind.footprint(setup);
    // Five sums (count, sums and squares of quality and cost) per (cluster, model) cell.
    expect(footprint).toEqual({ tensorBytes: 4 * (4 * 6 + 8 * 5 * 2), contributionLength: 5 * 4 * 2 });
    const trained = await trainWithinFootprint(
      kmeansKind,
      footprint,
      kmeansKind.initialState(setup),
      sets(2, 1),
    );
    expect(trained.state.size).toBe(4);
    // The bound is reached: four centroids, then a statistics pass over the (cluster, model) cells.
    expect(trained.largest.contributionLength).toBe(footprint.contributionLength);

    const extending = kmeansKind.addModels!(trained.state, ["c"]);
    const grownSetup = { ...setup, models: ["a", "b", "c"] };
    const extended = await trainWithinFootprint(
      kmeansKind,
      kmeansKind.footprint(grownSetup, extending),
      extending,
      sets(3, 2),
    );

    const joining = kmeansKind.joinClients!(extended.state);
    const joinFootprint = kmeansKind.footprint(grownSetup, joining);
    // Their two clusters beside the router's four, kept aside meanwhile.
    expect(joinFootprint.tensorBytes).toBe(6 * (4 * 6 + 8 * 5 * 3));
    const joined = await trainWithinFootprint(kmeansKind, joinFootprint, joining, sets(3, 3));
    expect(joined.state.size).toBe(6);
  });

  it("bounds a tagged federation's statistics, one row per tag slot in every cluster", async () => {
    const vocabulary = ["billing", "code"];
    const setup: KindSetup = {
      models: ["a", "b"],
      embedder,
      tags: vocabulary,
      hyperparameters: { clusters: 3 },
    };
    const footprint = kmeansKind.footprint(setup);
    // Three slots a cluster (untagged, billing, code), five sums a cell.
    expect(footprint.contributionLength).toBe(5 * 3 * 3 * 2);
    const tagged = sets(2, 4).map((set) =>
      withTagIndicators(
        set,
        Array.from({ length: set.n }, (_, q) => (q % 3 === 0 ? [] : [vocabulary[q % 2]!])),
        vocabulary,
      ),
    );
    const trained = await trainWithinFootprint(kmeansKind, footprint, kmeansKind.initialState(setup), tagged);
    expect(trained.largest.contributionLength).toBe(footprint.contributionLength);
  });
});
