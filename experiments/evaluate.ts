// Scores routers on a test set with the paper's lambda sweep, and the reference routers.
import { accuracyCostCurve, type CurvePoint, lambdaGrid, normalisedAuc } from "../core/auc.ts";
import type { BatchPredictor } from "../core/prediction.ts";
import type { Random } from "../core/random.ts";

/** A test set: features and every model's true quality and cost. */
export interface TestSet {
  n: number;
  features: Float32Array;
  quality: Float64Array;
  cost: Float64Array;
  modelCount: number;
}

export interface Scored {
  auc: number;
  curve: CurvePoint[];
}

const LAMBDAS = lambdaGrid();

export async function scoreRouter(predict: BatchPredictor, test: TestSet): Promise<Scored> {
  const p = await predict(test.features);
  const curve = accuracyCostCurve(
    p.quality,
    p.cost,
    p.available,
    test.quality,
    test.cost,
    test.modelCount,
    LAMBDAS,
  );
  return { auc: normalisedAuc(curve), curve };
}

/**
 * Several trainings of one router (independent random streams) scored as one: their mean AUC, the
 * expected AUC of a training, and their mean point at each lambda of the sweep, to plot.
 */
export async function scoreTrainings(
  trainings: BatchPredictor | readonly BatchPredictor[],
  test: TestSet,
): Promise<Scored> {
  const list = Array.isArray(trainings) ? trainings : [trainings as BatchPredictor];
  const scored: Scored[] = [];
  for (const predict of list) scored.push(await scoreRouter(predict, test));
  if (scored.length === 1) return scored[0]!;
  const mean = (value: (s: Scored) => number) => scored.reduce((sum, s) => sum + value(s), 0) / scored.length;
  return {
    auc: mean((s) => s.auc),
    curve: scored[0]!.curve.map((point, i) => ({
      lambda: point.lambda,
      cost: mean((s) => s.curve[i]!.cost),
      quality: mean((s) => s.curve[i]!.quality),
    })),
  };
}

/** The oracle knows every true label: it chooses by true quality - lambda * true cost. */
export function scoreOracle(test: TestSet): Scored {
  const curve = accuracyCostCurve(
    test.quality,
    test.cost,
    null,
    test.quality,
    test.cost,
    test.modelCount,
    LAMBDAS,
  );
  return { auc: normalisedAuc(curve), curve };
}

/** Each single model as a point: its mean quality and mean cost on the test set. */
export function singleModelPoints(test: TestSet): { quality: number; cost: number }[] {
  const m = test.modelCount;
  return Array.from({ length: m }, (_, j) => {
    let quality = 0;
    let cost = 0;
    for (let q = 0; q < test.n; q++) {
      quality += test.quality[q * m + j]!;
      cost += test.cost[q * m + j]!;
    }
    return { quality: quality / test.n, cost: cost / test.n };
  });
}

/** A router choosing uniformly at random per query: one point, so its AUC is its mean quality. */
export function scoreRandom(test: TestSet, random: Random): Scored {
  const m = test.modelCount;
  let quality = 0;
  let cost = 0;
  for (let q = 0; q < test.n; q++) {
    const j = Math.floor(random() * m);
    quality += test.quality[q * m + j]!;
    cost += test.cost[q * m + j]!;
  }
  const point = { lambda: 0, quality: quality / test.n, cost: cost / test.n };
  return { auc: point.quality, curve: [point] };
}

/** Concatenates test sets into one (the global test set). */
export function concatTestSets(sets: readonly TestSet[]): TestSet {
  const first = sets[0];
  if (!first) throw new RangeError("no test sets");
  const n = sets.reduce((s, t) => s + t.n, 0);
  const d = first.features.length / Math.max(1, first.n);
  const out: TestSet = {
    n,
    modelCount: first.modelCount,
    features: new Float32Array(n * d),
    quality: new Float64Array(n * first.modelCount),
    cost: new Float64Array(n * first.modelCount),
  };
  let row = 0;
  for (const t of sets) {
    out.features.set(t.features, row * d);
    out.quality.set(t.quality, row * first.modelCount);
    out.cost.set(t.cost, row * first.modelCount);
    row += t.n;
  }
  return out;
}
