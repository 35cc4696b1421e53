// The cost statistics must survive secure aggregation's fixed-point encoding: per-query costs of
// 1e-5 USD square to 1e-10, far below the encoding's resolution.
import { describe, expect, it } from "vitest";
import { sumContributions } from "../../../../core/federated.ts";
import {
  COST_SUMS_PER_MODEL,
  costStatsContribution,
  costStatsFromTotals,
} from "../../../../core/mlp/cost-normalisation.ts";
import { mlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { seededRandom } from "../../../../core/random.ts";
import { decode, encode, sumEncoded } from "../../../../core/secagg/encoding.ts";

const MODELS = 3;
/** Typical per-query USD costs of a cheap, a middle and an expensive model. */
const TYPICAL_COST = [2e-5, 8e-4, 2e-2];

function clientSet(seed: number, n: number) {
  const random = seededRandom(seed);
  const cost = new Float32Array(n * MODELS);
  const observed = new Uint8Array(n * MODELS);
  for (let q = 0; q < n; q++) {
    const j = q % MODELS;
    observed[q * MODELS + j] = 1;
    cost[q * MODELS + j] = TYPICAL_COST[j]! * (0.3 + 1.7 * random());
  }
  return mlpTrainingSet({
    n,
    dimension: 1,
    modelCount: MODELS,
    features: new Float32Array(n),
    quality: new Float32Array(n * MODELS),
    cost,
    observed,
  });
}

describe("cost statistics under fixed-point aggregation", () => {
  it("gives mu and sigma within 1% of the exact ones after encoding with the edge's resolution", () => {
    const sets = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seed) => clientSet(seed, 300));
    const length = COST_SUMS_PER_MODEL * MODELS;
    const contributions = sets.map(costStatsContribution);
    const exact = costStatsFromTotals(sumContributions(contributions, length));
    // The edge's scale for 10 clients and a clipping range of ±1024: resolution about 1e-5.
    const config = {
      vectorLength: length,
      maxWeight: 1,
      maxClients: 10,
      clip: { min: -1024, max: 1024 },
      scale: 2 ** 30 / (10 * 1024),
    };
    for (const roundingSeed of [1, 2, 3]) {
      const random = seededRandom(roundingSeed);
      const encoded = contributions.map((c) => encode(c, 1, config, random).vector);
      const total = decode(sumEncoded(encoded, length + 1), config.scale).weightedSum;
      const stats = costStatsFromTotals(total);
      for (let j = 0; j < MODELS; j++) {
        expect(Math.abs(stats.mu[j]! / exact.mu[j]! - 1)).toBeLessThan(0.01);
        expect(Math.abs(stats.sigma[j]! / exact.sigma[j]! - 1)).toBeLessThan(0.01);
      }
    }
    // The spread is real (not the floor): about half the mean for these costs.
    expect(exact.sigma[0]! / exact.mu[0]!).toBeGreaterThan(0.3);
  });
});
