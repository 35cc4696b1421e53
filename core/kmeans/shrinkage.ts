// Empirical-Bayes shrinkage of sparse cells (a (cluster, model) or (tag, model) mean from a few
// dozen evaluations) toward a coarser estimate, with the prior's strength estimated from the same
// sums the federation learns through secure aggregation: per cell its count, sum and sum of squares.
// No tuned constant: where cells differ from their target by no more than their noise explains,
// every cell takes its target; where they differ much, the cells keep their own means.

/**
 * How sparse cells are pulled toward coarser means: "empirical-bayes" estimates each level's
 * pseudo-count from the sums; "fixed" uses the router's `prior` pseudo-observations everywhere
 * (0: the paper's raw cell means).
 */
export type Shrinkage = "empirical-bayes" | "fixed";

/** A cell's posterior mean: its sum with `strength` pseudo-observations of `target`. */
export function shrunkMean(count: number, sum: number, target: number, strength: number): number {
  if (!(count > 0) || strength === Number.POSITIVE_INFINITY) return target;
  return (sum + strength * target) / (count + strength);
}

/** Sums over a table of cells (rows x models, row-major), one value per cell each. */
export interface CellTable {
  rows: number;
  models: number;
  count: Float64Array;
  sum: Float64Array;
  squares: Float64Array;
}

/** A table's shrunk cell means, and per model the pseudo-count used. */
export interface ShrunkTable {
  mean: Float64Array;
  strength: Float64Array;
}

/**
 * Shrinks every cell of `table` toward a target built on `parent` (one coarser estimate per cell).
 * With a fixed `strength` the target is the parent itself. Otherwise (empirical Bayes) the target
 * adds the row's effect, the mean residual of the row's observations against the parent over all
 * models (a hard task is hard for every model, which tells nothing about which model to choose),
 * and only what remains, the (row, model) interaction, is shrunk, with per model pseudo-count
 * sigma^2 / tau^2 from the method of moments: sigma^2 the pooled within-cell variance, tau^2 from
 * E[sum_c n_c (mean_c - target_c)^2] = dof * sigma^2 + N tau^2, dof being the cells less the
 * parameters the additive target fitted (rows + models - 1) in proportion.
 */
export function shrinkTable(table: CellTable, parent: Float64Array, strength?: number): ShrunkTable {
  const { rows, models: m, count, sum, squares } = table;
  const target = Float64Array.from(parent);
  const strengths = new Float64Array(m);
  if (strength !== undefined) {
    strengths.fill(strength);
  } else {
    let filledRows = 0;
    let filledCells = 0;
    for (let r = 0; r < rows; r++) {
      let residual = 0;
      let n = 0;
      for (let j = 0; j < m; j++) {
        const c = r * m + j;
        if (!(count[c]! > 0)) continue;
        residual += sum[c]! - count[c]! * parent[c]!;
        n += count[c]!;
        filledCells += 1;
      }
      if (!(n > 0)) continue;
      filledRows += 1;
      for (let j = 0; j < m; j++) target[r * m + j]! += residual / n;
    }
    const fitted = filledCells > 0 ? Math.min(1, (filledRows + m - 1) / filledCells) : 1;
    for (let j = 0; j < m; j++) {
      let n = 0;
      let cells = 0;
      let within = 0;
      let deviation = 0;
      for (let r = 0; r < rows; r++) {
        const c = r * m + j;
        const nc = count[c]!;
        if (!(nc > 0)) continue;
        n += nc;
        cells += 1;
        within += squares[c]! - (sum[c]! * sum[c]!) / nc;
        deviation += nc * (sum[c]! / nc - target[c]!) ** 2;
      }
      if (n - cells <= 0) continue;
      // Rounding can leave a hair below zero where every observation in a cell is equal.
      const noise = Math.max(0, within) / (n - cells);
      const signal = (deviation - (1 - fitted) * cells * noise) / n;
      strengths[j] = signal > 0 ? noise / signal : Number.POSITIVE_INFINITY;
    }
  }
  const mean = new Float64Array(rows * m);
  for (let c = 0; c < rows * m; c++) mean[c] = shrunkMean(count[c]!, sum[c]!, target[c]!, strengths[c % m]!);
  return { mean, strength: strengths };
}
