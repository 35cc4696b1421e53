// Fine-tuning a federated K-means router to one client (the personalisation variant that the MLP
// gets as one epoch of local training from the global weights). K-means has no epochs: one pass
// over the client's data keeps the federation's clusters and re-estimates each (cluster, model)
// cell from the client's own evaluations, with the federation's mean of that cell standing in as
// `prior` pseudo-observations, the same pseudo-count the router uses for sparse cells.
import type { EvaluationSet } from "../data/evaluations.ts";
import { embeddingSet } from "../routers/tags.ts";
import { type KMeansRouter, statsFromSums, statsSums } from "./router.ts";

export function fineTunedRouter(router: KMeansRouter, set: EvaluationSet): KMeansRouter {
  const { clusterCount, modelCount: m, stats, prior } = router;
  if (set.modelCount !== m || set.dimension !== router.dimension + (router.tagCount ?? 0))
    throw new RangeError(
      `the set has ${set.modelCount} models of dimension ${set.dimension}, the router ${m}`,
    );
  const embedded = embeddingSet(set, router.dimension);
  const own = statsFromSums(statsSums(embedded, router.centroids, clusterCount), clusterCount, m);
  const count = new Float64Array(clusterCount * m);
  const qualitySum = new Float64Array(clusterCount * m);
  const costSum = new Float64Array(clusterCount * m);
  for (let cell = 0; cell < count.length; cell++) {
    const federated = stats.count[cell]!;
    const weight = federated > 0 ? prior : 0;
    count[cell] = own.count[cell]! + weight;
    qualitySum[cell] = own.qualitySum[cell]! + (weight ? (weight * stats.qualitySum[cell]!) / federated : 0);
    costSum[cell] = own.costSum[cell]! + (weight ? (weight * stats.costSum[cell]!) / federated : 0);
  }
  return { ...router, stats: { count, qualitySum, costSum } };
}
