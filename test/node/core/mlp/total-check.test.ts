// Which decoded totals a pass of the federated MLP accepts: every pass of honest clients (fixed-point
// rounding included, deltas clipped), and none in which one client sent a weight, a count, a delta
// or a calibration sum its data and the clip cannot make.
import { describe, expect, it } from "vitest";
import { COST_SUMS_PER_MODEL } from "../../../../core/mlp/cost-normalisation.ts";
import { createFederatedMlp } from "../../../../core/mlp/federated.ts";
import { mlpKind } from "../../../../core/mlp/kind.ts";
import { headRanges, parameterLayout } from "../../../../core/mlp/layout.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { initialMlpState, type MlpState, mlpShape } from "../../../../core/mlp/state.ts";
import type { MlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { seededRandom } from "../../../../core/random.ts";
import { edgeTotal, withFirstChanged } from "../../../support/edge-total.ts";
import { syntheticSet } from "./fixtures.ts";

const dimension = 8;
const models = ["strong-on-0", "strong-on-1", "cheap"];
const embedder = { id: "synthetic", dimension };
const algorithm = createFederatedMlp(createReferenceTrainer());
// A tight clip, so that honest deltas are clipped too and the check must accept them.
const DELTA_CLIP = 0.01;

/** The set restricted to its first two model columns (the router before the third was added). */
function firstTwoModels(set: MlpTrainingSet): MlpTrainingSet {
  const pick = <T extends Float32Array | Uint8Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(set.n * 2);
    for (let q = 0; q < set.n; q++) out.set(a.subarray(q * 3, q * 3 + 2), q * 2);
    return out;
  };
  return {
    ...set,
    modelCount: 2,
    quality: pick(set.quality),
    cost: pick(set.cost),
    observed: pick(set.observed),
  };
}

function contributions(state: MlpState, sets: readonly MlpTrainingSet[]): Promise<Float64Array[]> {
  return Promise.all(sets.map((set, i) => algorithm.contribute(state, set, seededRandom(i + 1))));
}

function check(state: MlpState, sums: readonly Float64Array[]): string | undefined {
  const { total, context } = edgeTotal(sums);
  return mlpKind.checkTotal(state, total, context);
}

/** Runs the passes from `state` until done, checking each honest total; keeps every state by phase. */
async function trainFrom(state: MlpState, sets: readonly MlpTrainingSet[], seen: Map<string, MlpState[]>) {
  let global = state;
  while (!algorithm.done(global)) {
    seen.set(global.phase, [...(seen.get(global.phase) ?? []), global]);
    const sums = await contributions(global, sets);
    expect(check(global, sums), `${global.phase} pass`).toBeUndefined();
    global = algorithm.finalise(global, edgeTotal(sums).total);
  }
  return global;
}

/** Every pass of a per-head and a FedAvg router, then of both growths of the FedAvg one. */
async function phases() {
  const random = seededRandom(3);
  const sets = [0.9, 0.5, 0.1].map((mix) => syntheticSet(random, { n: 60, dimension, coverage: 0.5, mix }));
  const base = sets.map(firstTwoModels);
  const seen = new Map<string, MlpState[]>();
  const setup = { embedder, hidden: 8, batchSize: 16, rounds: 2, deltaClip: DELTA_CLIP };
  const perHead = initialMlpState({ ...setup, models, weighting: "per-head" });
  await trainFrom(perHead, sets, seen);
  const trained = await trainFrom(initialMlpState({ ...setup, models: models.slice(0, 2) }), base, seen);
  await trainFrom(algorithm.addModels(trained, [models[2]!], { rounds: 1 }), sets, seen);
  await trainFrom(algorithm.joinClients(trained, { rounds: 1 }), base, seen);
  return { seen, sets, base };
}

describe("the MLP kind's check of a decoded total", () => {
  it("accepts every pass of honest clients with clipped deltas, grown routers' passes and rounding included", async () => {
    const { seen, base } = await phases();
    expect([...seen.keys()].sort()).toEqual([
      "calibrate",
      "join",
      "new-model-heads",
      "new-model-stats",
      "stats",
      "train",
    ]);
    expect(seen.get("train")!.some((state) => state.config.weighting === "per-head")).toBe(true);
    // The clip bound: every client's FedAvg delta, weighted by its n, is n * DELTA_CLIP long.
    const fedavg = seen.get("train")!.find((state) => state.config.weighting === "fedavg")!;
    for (const own of await contributions(fedavg, base))
      expect(Math.hypot(...own.subarray(3))).toBeCloseTo(own[0]! * DELTA_CLIP, 9);
  });

  it("refuses statistics with a fractional count, a quality sum above its count or a scaled sum past its cap", async () => {
    const { seen, sets } = await phases();
    for (const state of [seen.get("stats")![0]!, seen.get("new-model-stats")![0]!]) {
      const honest = await contributions(state, sets);
      const m = honest[0]!.length / (COST_SUMS_PER_MODEL + 1);
      const fractional = withFirstChanged(honest, (own) => {
        own[0] = own[0]! + 0.25;
      });
      expect(check(state, fractional), state.phase).toMatch(/observed cells is .*, not a whole number/);
      const quality = withFirstChanged(honest, (own) => {
        own[COST_SUMS_PER_MODEL * m] = honest.reduce((sum, c) => sum + c[0]!, 0) + 2;
      });
      expect(check(state, quality), state.phase).toMatch(/quality sum is .*, above /);
      // Each client caps its scaled sums at 1: three clients cannot send more than 3.
      const scaled = withFirstChanged(honest, (own) => {
        own[5 * m] = 200;
      });
      expect(check(state, scaled), state.phase).toMatch(/cost sum 5 is .*, above 3/);
    }
  });

  it("refuses a training round with a negative weight, more cells than rows, or a delta beyond the clip", async () => {
    const { seen, sets, base } = await phases();
    const fedavg = seen.get("train")!.find((state) => state.config.weighting === "fedavg")!;
    const honest = await contributions(fedavg, base);
    const n = honest.reduce((sum, c) => sum + c[0]!, 0);
    const negative = withFirstChanged(honest, (own) => {
      own[0] = -n - 1;
    });
    expect(check(fedavg, negative)).toMatch(/the rows trained on is -\d+, below zero/);
    const cells = withFirstChanged(honest, (own) => {
      own[1] = n + 5;
    });
    expect(check(fedavg, cells)).toMatch(/strong-on-0's observed cells is .*, above /);
    // One client's delta three times as long as the clip allows the whole federation's weight.
    const pushed = withFirstChanged(honest, (own) => {
      const deltas = own.subarray(3);
      const step = (3 * n * DELTA_CLIP) / Math.sqrt(deltas.length);
      deltas.fill(step);
    });
    expect(check(fedavg, pushed)).toMatch(/the weighted delta has norm .*, above /);

    const perHead = seen.get("train")!.find((state) => state.config.weighting === "per-head")!;
    const headHonest = await contributions(perHead, sets);
    const layout = parameterLayout(mlpShape(perHead.config));
    const cheap = headHonest.reduce((sum, c) => sum + c[3]!, 0);
    const headPushed = withFirstChanged(headHonest, (own) => {
      for (const { start, end } of headRanges(layout, 2))
        own.fill((3 * cheap * DELTA_CLIP) / 4, 4 + start, 4 + end);
    });
    expect(check(perHead, headPushed)).toMatch(/cheap's weighted head delta has norm .*, above /);
  });

  it("refuses a head-only round whose head delta is beyond the clip, and a joining round's negative weight", async () => {
    const { seen, sets, base } = await phases();
    const heads = seen.get("new-model-heads")![0]!;
    const honest = await contributions(heads, sets);
    const cells = honest.reduce((sum, c) => sum + c[1]!, 0);
    const pushed = withFirstChanged(honest, (own) => {
      own.fill((3 * cells * DELTA_CLIP) / Math.sqrt(own.length - 2), 2);
    });
    expect(check(heads, pushed)).toMatch(/cheap's weighted head delta has norm .*, above /);
    const join = seen.get("join")![0]!;
    const joining = await contributions(join, base);
    const negative = withFirstChanged(joining, (own) => {
      own[0] = -joining.reduce((sum, c) => sum + c[0]!, 0) - 1;
    });
    expect(check(join, negative)).toMatch(/the rows trained on is -\d+, below zero/);
  });

  it("refuses calibration sums beyond their cells: a negative slope sum, a residual sum past the cells", async () => {
    const { seen, sets } = await phases();
    const calibrate = seen.get("calibrate")![0]!;
    const honest = await contributions(calibrate, sets);
    const m = models.length;
    const cells = honest.reduce((sum, c) => sum + c[2 * m]!, 0);
    const slope = withFirstChanged(honest, (own) => {
      own[m] = -cells;
    });
    expect(check(calibrate, slope)).toMatch(/strong-on-0's slope sum is .*, below 0/);
    const residual = withFirstChanged(honest, (own) => {
      own[0] = 2 * cells + 2;
    });
    expect(check(calibrate, residual)).toMatch(/strong-on-0's residual sum is .*, above /);
    const negative = withFirstChanged(honest, (own) => {
      own[2 * m] = -cells - 1;
    });
    expect(check(calibrate, negative)).toMatch(/strong-on-0's calibration cells is .*, below 0/);
  });

  it("accepts the calibration sums of inverse-propensity weighted cells (a fractional weighted count)", async () => {
    const { seen, sets } = await phases();
    const calibrate = seen.get("calibrate")![0]!;
    const weighted = sets.map((set) => ({
      ...set,
      weight: Float32Array.from({ length: set.n * models.length }, (_, cell) => 0.3 + (cell % 7) * 0.55),
    }));
    const sums = await contributions(calibrate, weighted);
    const m = models.length;
    const cells = sums.reduce((sum, c) => sum + c[2 * m]!, 0);
    expect(Number.isInteger(cells)).toBe(false);
    expect(check(calibrate, sums)).toBeUndefined();
  });

  it("accepts a per-head router's honest totals with the default clip too (it does not bind here)", async () => {
    const random = seededRandom(8);
    const sets = [0.7, 0.3].map((mix) => syntheticSet(random, { n: 60, dimension, coverage: 0.5, mix }));
    let state = initialMlpState({
      models,
      embedder,
      hidden: 8,
      batchSize: 16,
      rounds: 1,
      weighting: "per-head",
    });
    state = algorithm.finalise(state, edgeTotal(await contributions(state, sets)).total);
    expect(state.config.deltaClip).toBe(20);
    expect(check(state, await contributions(state, sets))).toBeUndefined();
  });
});
