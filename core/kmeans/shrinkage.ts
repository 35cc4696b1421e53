// Empirical-Bayes shrinkage of sparse cells (a (cluster, model) or (tag, model) mean from a few
// dozen evaluations) toward a coarser estimate, with the prior's strength estimated from the same
// sums the federation learns through secure aggregation: per cell its count, sum and sum of squares.
// It is the one-way random-effects model fitted by the method of moments (ANOVA): a cell's true mean
// varies around its group's with variance tau^2, an observation around its cell's with variance
// sigma^2; the cell's posterior mean then weighs its sum against `sigma^2 / tau^2` pseudo-observations
// of the target. No tuned constant: where the cells do not differ beyond their noise (tau^2 = 0),
// every cell takes its target; where they differ much, the cells keep their own means.

/**
 * How sparse cells are pulled toward coarser means: "empirical-bayes" estimates each level's
 * pseudo-count from the sums; "fixed" uses the router's `prior` pseudo-observations everywhere
 * (0: the paper's raw cell means).
 */
export type Shrinkage = "empirical-bayes" | "fixed";

/** One level's cells for one model: counts, sums and sums of squares of the observations. */
export interface CellSums {
  count: ArrayLike<number>;
  sum: ArrayLike<number>;
  squares: ArrayLike<number>;
}

/**
 * The pseudo-count `sigma^2 / tau^2` for cells grouped by `groupOf` (cells of one group vary around
 * that group's mean; one group: around the overall mean). Infinity when the cells' means differ by no
 * more than their noise explains; 0 when they differ and carry no noise, or when nothing replicates.
 */
export function priorStrength(cells: CellSums, groupOf?: ArrayLike<number>): number {
  const groups = new Map<number, { count: number; sum: number; countSquares: number }>();
  let count = 0;
  let within = 0;
  let between = 0;
  let filled = 0;
  for (let c = 0; c < cells.count.length; c++) {
    const n = cells.count[c]!;
    if (!(n > 0)) continue;
    const s = cells.sum[c]!;
    filled += 1;
    count += n;
    within += cells.squares[c]! - (s * s) / n;
    between += (s * s) / n;
    const g = groupOf ? groupOf[c]! : 0;
    const group = groups.get(g) ?? { count: 0, sum: 0, countSquares: 0 };
    group.count += n;
    group.sum += s;
    group.countSquares += n * n;
    groups.set(g, group);
  }
  const freedom = count - filled;
  if (freedom <= 0 || filled <= groups.size) return 0;
  // Rounding can leave a hair below zero where every observation in a cell is equal.
  const noise = Math.max(0, within) / freedom;
  let spread = 0;
  for (const group of groups.values()) {
    between -= (group.sum * group.sum) / group.count;
    spread += group.countSquares / group.count;
  }
  // E[sum n_c (mean_c - mean_g)^2] = (cells - groups) sigma^2 + (N - sum_g sum_c n_c^2 / N_g) tau^2.
  const denominator = count - spread;
  const signal = denominator > 0 ? (between - (filled - groups.size) * noise) / denominator : 0;
  if (!(signal > 0)) return Number.POSITIVE_INFINITY;
  return noise / signal;
}

/** A cell's posterior mean: its sum with `strength` pseudo-observations of `target`. */
export function shrunkMean(count: number, sum: number, target: number, strength: number): number {
  if (!(count > 0) || strength === Number.POSITIVE_INFINITY) return target;
  return (sum + strength * target) / (count + strength);
}
