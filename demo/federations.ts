// The demo federations, one per router kind, with `fedrouter experiment`'s default
// hyperparameters, so that rounds over the edge train what the experiment simulates.
import type { Benchmark } from "../core/data/benchmark.ts";
import type { EvaluationSet } from "../core/data/evaluations.ts";
import type { EmbedderInfo } from "../core/model-file.ts";
import type { KindSetup } from "../core/routers/kind.ts";
import { routerKind } from "../core/routers/registry.ts";
import type { FederationConfigInput } from "../core/wire/federation.ts";

/** Share of organisations in a usual pass of the experiment's training (as the harness samples). */
export function participationFraction(
  name: string,
  setup: Omit<KindSetup, "hyperparameters">,
  seed: number,
): number {
  const kind = routerKind(name);
  return kind.participation(
    kind.initialState({ ...setup, hyperparameters: kind.experimentHyperparameters(seed) }),
  );
}

/**
 * The largest value any contribution can hold, with a margin: every algorithm's sums are bounded
 * by a few times the client's row count (counts, unit-norm feature sums, squared distances of
 * unit vectors, qualities in [0, 1], small USD costs, count-weighted MLP deltas).
 */
export function clippingBound(trainSets: readonly EvaluationSet[]): number {
  const rows = Math.max(...trainSets.map((s) => s.n));
  return Math.max(1000, 8 * rows);
}

/**
 * Nominal prices for the dashboard: the benchmark carries each answer's cost, not token prices,
 * so both prices are the model's mean cost per answer scaled to a million tokens of 1000-token
 * answers. Routing never reads them: routers learn costs from the evaluations.
 */
function pricedModels(benchmark: Benchmark): FederationConfigInput["models"] {
  const m = benchmark.models.length;
  const n = benchmark.ids.length;
  return benchmark.models.map((id, j) => {
    let total = 0;
    for (let q = 0; q < n; q++) total += benchmark.cost[q * m + j]!;
    const price = Math.min(1e6, ((total / Math.max(1, n)) * 1e6) / 1000);
    return { id, inputPrice: price, outputPrice: price };
  });
}

export interface DemoFederationInput {
  kind: string;
  benchmark: Benchmark;
  embedder: EmbedderInfo;
  seed: number;
  trainSets: readonly EvaluationSet[];
}

export function demoFederationConfig(input: DemoFederationInput): FederationConfigInput {
  const { kind, benchmark, embedder, seed, trainSets } = input;
  const bound = clippingBound(trainSets);
  const clients = trainSets.length;
  const router = routerKind(kind);
  const models = pricedModels(benchmark);
  return {
    name: `${benchmark.name} ${kind} (seed ${seed})`,
    router: {
      kind,
      // The experiment's defaults (an MLP's initial weights are seeded by the experiment's seed).
      hyperparameters: router.experimentHyperparameters(seed),
    },
    models,
    embedder: { id: embedder.id, dimension: embedder.dimension },
    roundPolicy: {
      // The job names every cohort itself (the experiment's schedule, plus a spare member that drops):
      // cohorts of 6 to 10 with at least 6 inputs summed, above the platform's minimums of 5
      // (docs/secure-aggregation.md, "Floors").
      cohortSize: Math.max(5, clients),
      minParticipants: 5,
      participationFraction: participationFraction(kind, { models: models.map((m) => m.id), embedder }, seed),
      // Seconds. Clients train before advertising their keys, all in this one process; a stage
      // that misses a dropped client closes only at its deadline, so those are kept short.
      deadlines: router.trainsLocally
        ? { advertiseKeys: 300, shareKeys: 60, maskedInput: 20, unmask: 20 }
        : { advertiseKeys: 120, shareKeys: 60, maskedInput: 20, unmask: 8 },
    },
    // t = 3: a strict majority of each client and its 4 neighbours.
    secureAggregation: { threshold: 3, neighbourDegree: 4, curve: "X25519" },
    clipping: { min: -bound, max: bound },
  };
}
