// Which decoded totals a pass of federated K-means accepts: every pass of honest clients (fixed-point
// rounding included), and none in which one client sent sums its data cannot make.
import { describe, expect, it } from "vitest";
import { selectQueries } from "../../../../core/data/benchmark.ts";
import { type EvaluationSet, evaluationSet } from "../../../../core/data/evaluations.ts";
import { syntheticBenchmark } from "../../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";
import {
  addModels,
  federatedKMeans,
  initialKMeansState,
  type KMeansState,
} from "../../../../core/kmeans/federated.ts";
import { kmeansKind } from "../../../../core/kmeans/kind.ts";
import { STATS_PARTS } from "../../../../core/kmeans/router.ts";
import { seededRandom } from "../../../../core/random.ts";
import { edgeTotal, withFirstChanged } from "../../../support/edge-total.ts";

const DIMENSION = 16;
const MODELS = ["a", "b", "c"];
const config = { models: MODELS, embedder: { id: "hashing-test", dimension: DIMENSION }, clusters: 3 };

/** Four clients' unit-norm embeddings (the hashing embedder's) with a third of the cells observed. */
async function clientSets(): Promise<EvaluationSet[]> {
  const benchmark = syntheticBenchmark({ seed: 5, queries: 160, models: MODELS.length });
  const features = await hashingEmbedder({ dimension: DIMENSION }).embed(benchmark.prompts);
  const random = seededRandom(4);
  return [0, 1, 2, 3].map((c) => {
    const rows = benchmark.ids.map((_, i) => i).filter((i) => i % 4 === c);
    return evaluationSet(
      selectQueries(benchmark, rows),
      rows.map((r) => features[r]!),
      () => random() < 0.3,
    );
  });
}

function contributions(state: KMeansState, sets: readonly EvaluationSet[]): Float64Array[] {
  return sets.map((set) => federatedKMeans.contribute(state, set, seededRandom(0)) as Float64Array);
}

/** The check of the total the edge decodes from these contributions. */
function check(state: KMeansState, sums: readonly Float64Array[]): string | undefined {
  const { total, context } = edgeTotal(sums);
  return kmeansKind.checkTotal(state, total, context);
}

/** Runs the passes from `state` until training is done, keeping every state by its phase. */
async function trainFrom(
  state: KMeansState,
  sets: readonly EvaluationSet[],
  seen: Map<string, KMeansState[]>,
) {
  let global = state;
  while (!federatedKMeans.done(global)) {
    seen.set(global.phase, [...(seen.get(global.phase) ?? []), global]);
    const sums = contributions(global, sets);
    expect(check(global, sums), `${global.phase} pass`).toBeUndefined();
    global = federatedKMeans.finalise(global, edgeTotal(sums).total);
  }
  return global;
}

/** The states of every pass, grown routers' too, each of whose honest totals passed. */
async function phases() {
  const sets = await clientSets();
  const seen = new Map<string, KMeansState[]>();
  const trained = await trainFrom(initialKMeansState(config), sets, seen);
  const extended = addModels(trained, ["d"]);
  const widened = sets.map((set) => ({ ...set, modelCount: 4, ...widen(set) }));
  await trainFrom(extended, widened, seen);
  await trainFrom(kmeansKind.joinClients!(trained), sets, seen);
  return { seen, sets, widened };
}

/** A set's cells widened by one model, observed nowhere. */
function widen(set: EvaluationSet) {
  const cells = (from: ArrayLike<number>) => {
    const out = new Float32Array(set.n * 4);
    for (let q = 0; q < set.n; q++) for (let j = 0; j < 3; j++) out[q * 4 + j] = from[q * 3 + j]!;
    return out;
  };
  const observed = Uint8Array.from(cells(set.observed));
  return { quality: cells(set.quality), cost: cells(set.cost), observed };
}

describe("the K-means kind's check of a decoded total", () => {
  it("accepts every pass of honest clients, grown routers' passes and fixed-point rounding included", async () => {
    const { seen } = await phases();
    expect([...seen.keys()].sort()).toEqual(["extend", "join", "lloyd", "power", "stats"]);
  });

  it("refuses Lloyd sums with a negative or fractional count, or a vector sum longer than its count", async () => {
    const { seen, sets } = await phases();
    const lloyd = seen.get("lloyd")![0]!;
    const honest = contributions(lloyd, sets);
    const stride = DIMENSION + 2;
    const negative = withFirstChanged(honest, (own) => {
      own[0] = -honest.reduce((sum, c) => sum + c[0]!, 0) - 5;
    });
    expect(check(lloyd, negative)).toMatch(/cluster 0's count is -\d+, below zero/);
    const fractional = withFirstChanged(honest, (own) => {
      own[0] = own[0]! + 0.5;
    });
    expect(check(lloyd, fractional)).toMatch(/cluster 0's count is .*, not a whole number/);
    // A count a rounding step above zero would turn a tiny vector sum into a centroid far outside.
    const sliver = withFirstChanged(honest, (own) => {
      own[0] = -honest.slice(1).reduce((sum, c) => sum + c[0]!, 0) + 1e-6;
      for (let i = 1; i < stride; i++) own[i] = -honest.slice(1).reduce((sum, c) => sum + c[i]!, 0);
    });
    expect(check(lloyd, sliver)).toMatch(/cluster 0's count is [0-9.e-]+, not a whole number/);
    // Each point counts once but pulls three times as far: a centroid off the unit ball.
    const stretched = withFirstChanged(honest, (own) => {
      for (let i = 2; i < stride; i++) own[i] = own[i]! * 40;
    });
    expect(check(lloyd, stretched)).toMatch(/cluster 0's vector sum has norm .*, above /);
    const squared = withFirstChanged(honest, (own) => {
      own[1] = -honest.reduce((sum, c) => sum + c[1]!, 0) - 1;
    });
    expect(check(lloyd, squared)).toMatch(/cluster 0's squared error is .*, below 0/);
  });

  it("refuses a power sum longer than its points allow", async () => {
    const { seen, sets } = await phases();
    // After its first pass a direction is a unit vector (the first is a random normal one).
    const power = seen.get("power")!.find((state) => state.pass > 0)!;
    const honest = contributions(power, sets);
    const pushed = withFirstChanged(honest, (own) => {
      for (let i = 1; i <= DIMENSION; i++) own[i] = 250;
    });
    expect(check(power, pushed)).toMatch(/splitting cluster \d+'s power sum has norm .*, above /);
  });

  it("refuses statistics with a quality sum above its count or a negative cost, in every statistics pass", async () => {
    const { seen, sets, widened } = await phases();
    for (const phase of ["stats", "join", "extend"]) {
      const state = seen.get(phase)![0]!;
      const honest = contributions(state, phase === "extend" ? widened : sets);
      const cells = honest[0]!.length / STATS_PARTS;
      const quality = withFirstChanged(honest, (own) => {
        own[cells] = honest.reduce((sum, c) => sum + c[0]!, 0) + 3;
      });
      expect(check(state, quality), phase).toMatch(/cell 0's quality sum is .*, above /);
      const cost = withFirstChanged(honest, (own) => {
        own[2 * cells + 1] = -50;
      });
      expect(check(state, cost), phase).toMatch(/cell 1's cost sum is .*, below 0/);
    }
  });

  it("refuses quality squares above the quality sum, in every statistics pass", async () => {
    const { seen, sets, widened } = await phases();
    for (const phase of ["stats", "join", "extend"]) {
      const state = seen.get(phase)![0]!;
      const honest = contributions(state, phase === "extend" ? widened : sets);
      const cells = honest[0]!.length / STATS_PARTS;
      // Qualities lie in [0, 1], so no square exceeds its quality.
      const squares = withFirstChanged(honest, (own) => {
        own[3 * cells] = honest.reduce((sum, c) => sum + c[cells]!, 0) + 2;
      });
      expect(check(state, squares), phase).toMatch(/cell 0's quality squares is .*, above /);
    }
  });

  it("refuses a total with an element that is not a number", async () => {
    const state = initialKMeansState(config);
    const total = new Float64Array(federatedKMeans.contributionLength(state));
    total[3] = Number.NaN;
    expect(kmeansKind.checkTotal(state, total, { participants: 4, resolution: 0 })).toBe(
      "element 3 of the total is NaN",
    );
  });

  it("scales points longer than unit length down, so a client with longer embeddings stays honest", async () => {
    const sets = await clientSets();
    const state = initialKMeansState(config);
    const longer = sets.map((set) => ({ ...set, features: set.features.map((x) => 3 * x) }));
    const sums = contributions(state, longer);
    expect(check(state, sums)).toBeUndefined();
    const unit = contributions(state, sets);
    for (const [c, own] of sums.entries())
      expect(Array.from(own)).toEqual(Array.from(unit[c]!).map((v) => expect.closeTo(v, 5)));
  });
});
