// The shapes of a router's predictions for a batch of queries, and the one conversion between them.

/** Every model's predicted quality and cost for a batch of queries, row-major [query][model]. */
export interface BatchPrediction {
  quality: Float64Array;
  cost: Float64Array;
  /** 0 where the router will not choose that model for that query; null: every model everywhere. */
  available: Uint8Array | null;
}

/** Predicts a batch of row-major query vectors. */
export type BatchPredictor = (features: Float32Array) => BatchPrediction | Promise<BatchPrediction>;

/** The same predictions one array per query, as the SDK hands them to apps. */
export interface PredictionRows {
  quality: Float64Array[];
  cost: Float64Array[];
  /** Per query, 0 where the router has no basis to predict a model; undefined: every model. */
  available?: (ArrayLike<number> | undefined)[];
}

/** Rows to one row-major batch of `models` columns (a row without availability is fully available). */
export function rowsToBatch(rows: PredictionRows, models: number): BatchPrediction {
  const n = rows.quality.length;
  const quality = new Float64Array(n * models);
  const cost = new Float64Array(n * models);
  const known = rows.available?.some((row) => row !== undefined) ?? false;
  const available = known ? new Uint8Array(n * models).fill(1) : null;
  for (let q = 0; q < n; q++) {
    quality.set(rows.quality[q]!, q * models);
    cost.set(rows.cost[q]!, q * models);
    const row = rows.available?.[q];
    if (row && available) for (let j = 0; j < models; j++) available[q * models + j] = row[j]!;
  }
  return { quality, cost, available };
}

/** One row-major batch of `models` columns to one array per query. */
export function batchToRows(batch: BatchPrediction, models: number): PredictionRows {
  const n = models === 0 ? 0 : batch.quality.length / models;
  const row = <T extends Float64Array | Uint8Array>(a: T, q: number) =>
    a.slice(q * models, (q + 1) * models) as T;
  const rows: PredictionRows = {
    quality: Array.from({ length: n }, (_, q) => row(batch.quality, q)),
    cost: Array.from({ length: n }, (_, q) => row(batch.cost, q)),
  };
  const { available } = batch;
  if (available) rows.available = Array.from({ length: n }, (_, q) => row(available, q));
  return rows;
}

/** Widens a router's predictions to `total` models; the missing ones are unavailable. */
export function widenPredictor(predict: BatchPredictor, known: number, total: number): BatchPredictor {
  return async (features) => {
    const p = await predict(features);
    const n = p.quality.length / known;
    const wide: BatchPrediction = {
      quality: new Float64Array(n * total),
      cost: new Float64Array(n * total),
      available: new Uint8Array(n * total),
    };
    for (let q = 0; q < n; q++) {
      for (let j = 0; j < known; j++) {
        wide.quality[q * total + j] = p.quality[q * known + j]!;
        wide.cost[q * total + j] = p.cost[q * known + j]!;
        wide.available![q * total + j] = p.available ? p.available[q * known + j]! : 1;
      }
    }
    return wide;
  };
}
