// Small synthetic data for the MLP tests: two task clusters of random feature vectors and three
// models whose skill differs per cluster, with sparse observed cells.
import { allocateBatch, fillBatch, type MlpBatch } from "../../../../core/mlp/batch.ts";
import {
  type CostStats,
  costStatsContribution,
  costStatsFromTotals,
} from "../../../../core/mlp/cost-normalisation.ts";
import type { MlpShape } from "../../../../core/mlp/layout.ts";
import { type MlpTrainingSet, mlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { normal, type Random } from "../../../../core/random.ts";

/** Per cluster, per model: probability of a correct answer and mean cost in USD. */
const SKILL = [
  [0.9, 0.3, 0.6],
  [0.2, 0.85, 0.6],
];
const PRICE = [0.01, 0.002, 0.0005];

export interface SyntheticOptions {
  n: number;
  dimension: number;
  /** Probability that a cell is observed. */
  coverage: number;
  /** Models this client never evaluates. */
  unseen?: number[];
  /** Share of rows from cluster 0. */
  mix?: number;
}

export function syntheticSet(random: Random, options: SyntheticOptions): MlpTrainingSet {
  const { n, dimension: d, coverage } = options;
  const m = 3;
  const centres = [0, 1].map((c) => Float32Array.from({ length: d }, (_, i) => (i % 2 === c ? 1.5 : -1.5)));
  const set = mlpTrainingSet({
    n,
    dimension: d,
    modelCount: m,
    features: new Float32Array(n * d),
    quality: new Float32Array(n * m),
    cost: new Float32Array(n * m),
    observed: new Uint8Array(n * m),
  });
  for (let q = 0; q < n; q++) {
    const cluster = random() < (options.mix ?? 0.5) ? 0 : 1;
    for (let i = 0; i < d; i++) set.features[q * d + i] = centres[cluster]![i]! + 0.5 * normal(random);
    for (let j = 0; j < m; j++) {
      if (options.unseen?.includes(j) || random() >= coverage) continue;
      set.observed[q * m + j] = 1;
      set.quality[q * m + j] = random() < SKILL[cluster]![j]! ? 1 : 0;
      set.cost[q * m + j] = PRICE[j]! * (1 + cluster) * Math.exp(0.3 * normal(random));
    }
  }
  return set;
}

export function statsOf(set: MlpTrainingSet): CostStats {
  return costStatsFromTotals(costStatsContribution(set));
}

/** A batch of the first `rows` rows of a fresh synthetic set, with dropout masks drawn. */
export function syntheticBatch(random: Random, shape: MlpShape, rows: number, unseen?: number[]): MlpBatch {
  const set = syntheticSet(random, { n: rows, dimension: shape.dimension, coverage: 0.6, unseen });
  const batch = allocateBatch(shape, rows);
  fillBatch(
    batch,
    set,
    Array.from({ length: rows }, (_, i) => i),
    statsOf(set),
    0.1,
    random,
  );
  return batch;
}
