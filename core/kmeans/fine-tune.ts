// Fine-tuning a federated K-means router to one client (the personalisation variant that the MLP
// gets as one epoch of local training from the global weights). K-means has no epochs: one pass
// over the client's data keeps the federation's clusters and re-estimates each (cluster, model)
// cell from the client's own evaluations, with the federation's mean of that cell standing in as
// `prior` pseudo-observations, the same pseudo-count the router uses for sparse cells.
import type { EvaluationSet } from "../data/evaluations.ts";
import { type KMeansRouter, STATS_PARTS, statsSums } from "./router.ts";
import { tagSlots } from "./tags.ts";

export function fineTunedRouter(router: KMeansRouter, set: EvaluationSet): KMeansRouter {
  const { clusterCount, modelCount: m, stats, prior } = router;
  const tagCount = router.tagCount ?? 0;
  if (set.modelCount !== m || set.dimension !== router.dimension + tagCount)
    throw new RangeError(
      `the set has ${set.modelCount} models of dimension ${set.dimension}, the router ${m}`,
    );
  const cells = clusterCount * tagSlots(tagCount) * m;
  const own = statsSums(set, router.centroids, clusterCount, undefined, tagCount);
  const federated = [stats.count, stats.qualitySum, stats.costSum, stats.qualitySquares, stats.costSquares];
  const tuned = Array.from({ length: STATS_PARTS }, (_, part) => own.slice(part * cells, (part + 1) * cells));
  for (let cell = 0; cell < cells; cell++) {
    const count = stats.count[cell]!;
    if (!(count > 0)) continue;
    tuned[0]![cell]! += prior;
    // `prior` pseudo-observations at the federation's cell mean (and mean square).
    for (let part = 1; part < STATS_PARTS; part++) {
      const sums = federated[part];
      if (sums) tuned[part]![cell]! += (prior * sums[cell]!) / count;
    }
  }
  const [count, qualitySum, costSum, qualitySquares, costSquares] = tuned as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  return {
    ...router,
    stats: {
      count,
      qualitySum,
      costSum,
      ...(stats.qualitySquares ? { qualitySquares, costSquares } : {}),
    },
  };
}
