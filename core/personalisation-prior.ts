// Personalisation that starts from the federation's router and moves toward the client's own
// router only as far as the client's own cells carry it (issue 20).
//
// The federated prediction f is the prior; the client's local router l proposes a departure
// d = l - f; the client's observed cells are the evidence of whether that departure is real. On
// each observed cell the local prediction is held out (k-fold cross-validation: the local router
// that predicts a cell never saw it), and the personalised prediction is f + w (l - f) with w the
// least-squares coefficient of the residuals r = y - f on the departures d:
//   w_ls = sum(d r) / sum(d^2),   Var(w_ls) = s^2 / sum(d^2),
// s^2 the residual variance. w_ls is noisy on a few cells, so it is shrunk toward the federated
// router under the prior w ~ N(0, tau^2): w = w_ls E[tau^2 / (tau^2 + Var(w_ls))], the posterior
// mean over tau uniform on [0, 1] (w is a weight in [0, 1], so its spread cannot exceed 1), then
// clipped to [0, 1]. No tuned constant. No cell: w = 0, exactly the federated router (the limit
// Var -> infinity). Departures that go against the outcomes: w = 0. Weak evidence toward the
// local router: a small weight, never exactly 0 (the method-of-moments positive part,
// w_ls max(0, 1 - Var / w_ls^2), issue 20's first default, gave exactly 0 there and left clients
// whose local router leads tied with the federated router). Many cells on which the local router
// is right: w -> 1, the local router.
//
// Why this and not inverse error (core/personalisation.ts): a router's squared error on 0/1
// outcomes is mostly the outcomes' own variance, which both routers pay, so inverse-error weights
// sit near 0.5 whatever the evidence and give away the federated router's lead. The regression
// on the departures has no such floor: noise in the outcomes averages out of sum(d r), and a
// departure that does not predict the residuals earns no weight. docs/personalisation.md has the
// measurements.
//
// Quality and cost get weights of their own (cost on log1p(USD), as costs span orders of
// magnitude), per model, by agreement of two levels of evidence: the client's cells pooled over
// its models (one shrunk w as above) and each model's own cells, read through a hierarchical
// prior whose spread across models has the same posterior, now given every model's estimate
// (`modelWeights`: each estimate weighs by its own variance, so a model whose departures carry no
// information cannot zero the others, as the unweighted method of moments let it). A model takes
// the smaller of the two. Either alone failed somewhere (docs/personalisation.md): the pooled
// weight moves models whose own cells say the local router's departures go the wrong way (a
// client 3 s.e. below the federated router), the per-model weights move models on a few lucky
// cells.
import type { EvaluationSet } from "./data/evaluations.ts";
import { combinePredictions, observedCounts, selectRows } from "./personalisation.ts";
import type { BatchPrediction, BatchPredictor } from "./prediction.ts";

/** Sums of the regression of residuals on departures over a client's cells. */
export interface DepartureEvidence {
  /** Cells where both routers predict. */
  cells: number;
  /** sum of d r, sum of d^2, sum of r^2 (d: local - federated, r: observed - federated). */
  departureResidual: number;
  departureSquares: number;
  residualSquares: number;
}

export const emptyEvidence = (): DepartureEvidence => ({
  cells: 0,
  departureResidual: 0,
  departureSquares: 0,
  residualSquares: 0,
});

/** Adds one cell: federated prediction, (held-out) local prediction, observed value. */
export function addEvidence(e: DepartureEvidence, federated: number, local: number, observed: number): void {
  const d = local - federated;
  const r = observed - federated;
  e.cells += 1;
  e.departureResidual += d * r;
  e.departureSquares += d * d;
  e.residualSquares += r * r;
}

/**
 * How a least-squares weight ls ~ N(w, v) is shrunk toward the federated router (w = 0), under
 * the prior w ~ N(0, tau^2):
 * "posterior" (the default): the posterior mean ls E[tau^2 / (tau^2 + v)], the expectation over
 * tau's posterior given the estimates, with tau uniform on [0, 1] (w is a weight in [0, 1], so its
 * spread about the federated router cannot exceed 1). Smooth: never exactly 0 where the evidence
 * points toward the local router, 0 in the limit of no evidence (v -> infinity), 1 in the limit
 * of overwhelming evidence (v -> 0).
 * "positive-part": the method-of-moments tau^2 = max(0, ls^2 - v), so w = ls max(0, 1 - v / ls^2),
 * exactly 0 wherever |ls| is within its noise (issue 20's first default; it left clients whose
 * local router leads at exactly the federated router).
 */
export type EvidenceShrinkage = "posterior" | "positive-part";

/** Points of the midpoint rule over tau in [0, 1]. */
const TAU_POINTS = 400;

/**
 * For estimates ls_j ~ N(w_j, v_j), w_j ~ N(0, tau^2), tau ~ U(0, 1): per estimate the posterior
 * mean of its shrinkage factor tau^2 / (tau^2 + v_j). The likelihood of tau weighs each estimate
 * by its own variance, so an estimate with no information (v_j large) neither raises nor lowers
 * tau, where an unweighted method of moments lets one such estimate zero every weight.
 */
export function posteriorShrinkage(ls: readonly number[], v: readonly number[]): Float64Array {
  const logLikelihood = new Float64Array(TAU_POINTS);
  for (let k = 0; k < TAU_POINTS; k++) {
    const tau2 = ((k + 0.5) / TAU_POINTS) ** 2;
    let sum = 0;
    for (const [j, b] of ls.entries()) {
      const total = tau2 + v[j]!;
      sum -= 0.5 * (Math.log(total) + (b * b) / total);
    }
    logLikelihood[k] = sum;
  }
  const top = Math.max(...logLikelihood);
  const posterior = logLikelihood.map((l) => Math.exp(l - top));
  const mass = posterior.reduce((a, b) => a + b, 0);
  return Float64Array.from(v, (vj) => {
    if (vj === 0) return 1;
    let factor = 0;
    for (let k = 0; k < TAU_POINTS; k++) {
      const tau2 = ((k + 0.5) / TAU_POINTS) ** 2;
      factor += (posterior[k]! * tau2) / (tau2 + vj);
    }
    return factor / mass;
  });
}

/** The least-squares weight of the departures and its variance; undefined without evidence. */
function leastSquares(e: DepartureEvidence): { ls: number; v: number } | undefined {
  if (e.cells < 2 || !(e.departureSquares > 0)) return undefined;
  const ls = e.departureResidual / e.departureSquares;
  // Residual variance after the fit, on cells - 1 degrees of freedom.
  const unexplained = Math.max(0, e.residualSquares - ls * e.departureResidual) / (e.cells - 1);
  return { ls, v: unexplained / e.departureSquares };
}

const unit = (w: number) => Math.min(1, Math.max(0, w));

/**
 * The weight of the local router's departure from the federated prediction that the evidence
 * carries (see the header and `EvidenceShrinkage`): 0 with no evidence, toward the least-squares
 * weight, clipped to [0, 1], as consistent evidence grows. `shrinkage` "none": the clipped
 * least-squares weight itself (for comparison).
 */
export function evidenceWeight(
  e: DepartureEvidence,
  shrinkage: EvidenceShrinkage | "none" = "posterior",
): number {
  const fit = leastSquares(e);
  if (!fit) return 0;
  const { ls, v } = fit;
  if (shrinkage === "none") return unit(ls);
  if (shrinkage === "posterior") return unit(ls * posteriorShrinkage([ls], [v])[0]!);
  return ls === 0 ? 0 : unit(ls * Math.max(0, 1 - v / (ls * ls)));
}

/**
 * Per-model weights under a hierarchical prior: each model's weight w_j ~ N(0, tau^2) around the
 * federated router (0), its least-squares estimate ls_j ~ N(w_j, v_j) with v_j from the residual
 * variance pooled over the models. "posterior": w_j = ls_j E[tau^2 / (tau^2 + v_j)] over tau's
 * posterior given every model's estimate (`posteriorShrinkage`). "positive-part": tau^2 by the
 * method of moments, sum(ls_j^2 - v_j) / M, and w_j = ls_j tau^2 / (tau^2 + v_j): where the
 * models' estimates scatter no more than their noise explains, every model keeps the federated
 * prediction. Either way clipped to [0, 1] (a local router whose departures go against the
 * outcomes gets none).
 */
export function modelWeights(
  perModel: readonly DepartureEvidence[],
  shrinkage: EvidenceShrinkage = "posterior",
): Float64Array {
  const w = new Float64Array(perModel.length);
  let unexplained = 0;
  let dof = 0;
  const ls = perModel.map((e) => {
    if (e.cells < 2 || !(e.departureSquares > 0)) return Number.NaN;
    const b = e.departureResidual / e.departureSquares;
    unexplained += Math.max(0, e.residualSquares - b * e.departureResidual);
    dof += e.cells - 1;
    return b;
  });
  if (!(dof > 0)) return w;
  const noise = unexplained / dof;
  const judged = ls.flatMap((b, j) => (Number.isNaN(b) ? [] : [j]));
  const v = judged.map((j) => noise / perModel[j]!.departureSquares);
  if (shrinkage === "posterior") {
    const factor = posteriorShrinkage(
      judged.map((j) => ls[j]!),
      v,
    );
    judged.forEach((j, i) => {
      w[j] = unit(ls[j]! * factor[i]!);
    });
    return w;
  }
  const excess = judged.reduce((sum, j, i) => sum + ls[j]! ** 2 - v[i]!, 0);
  const tau2 = judged.length > 0 ? Math.max(0, excess / judged.length) : 0;
  if (tau2 === 0) return w;
  judged.forEach((j, i) => {
    w[j] = unit((ls[j]! * tau2) / (tau2 + v[i]!));
  });
  return w;
}

/** Per model, the local router's weight for quality and for cost (the federated router gets 1 - w). */
export interface PriorEvidenceWeights {
  quality: Float64Array;
  cost: Float64Array;
}

/** Evidence per model (and, `pooled`, over all of them) for quality and cost. */
export interface ClientEvidence {
  quality: DepartureEvidence[];
  cost: DepartureEvidence[];
  pooled: { quality: DepartureEvidence; cost: DepartureEvidence };
}

/**
 * Which part of the local router's quality departure is judged. "routing" (the default): the
 * departure less its mean over the query's models. A router picks, per query, the model of best
 * quality for its cost, so a departure that lifts or lowers every model of a query alike (the
 * local router finding the client's queries harder or easier than the federation does) changes
 * no routing decision, while in the squared error it can hide the part that does: a local router
 * that orders the models better for the client but misjudges how hard its queries are. "whole":
 * the departure as it is (issue 20's first default). Cost departures are judged whole, as a
 * query's costs all moving alike does move the choice between quality and cost.
 */
export type QualityDeparture = "routing" | "whole";

/**
 * The evidence over the observed cells of `set`, given the federated router's predictions and
 * the local router's held-out ones on the same rows. Cells either router does not predict carry
 * no evidence (the blend there is whichever router predicts).
 */
export function departureEvidence(
  federated: BatchPrediction,
  local: BatchPrediction,
  set: Pick<EvaluationSet, "observed" | "quality" | "cost" | "modelCount">,
  departure: QualityDeparture = PRIOR_EVIDENCE_DEFAULTS.departure,
): ClientEvidence {
  const m = set.modelCount;
  const quality = Array.from({ length: m }, emptyEvidence);
  const cost = Array.from({ length: m }, emptyEvidence);
  const pooled = { quality: emptyEvidence(), cost: emptyEvidence() };
  const logCost = (usd: number) => Math.log1p(Math.max(0, usd));
  const both = (cell: number) =>
    (!federated.available || federated.available[cell] === 1) &&
    (!local.available || local.available[cell] === 1);
  for (let row = 0; row < set.observed.length / m; row++) {
    // The query's mean quality departure over the models both routers predict.
    let shift = 0;
    if (departure === "routing") {
      let models = 0;
      for (let cell = row * m; cell < (row + 1) * m; cell++) {
        if (!both(cell)) continue;
        shift += local.quality[cell]! - federated.quality[cell]!;
        models++;
      }
      shift = models > 0 ? shift / models : 0;
    }
    for (let cell = row * m; cell < (row + 1) * m; cell++) {
      if (!set.observed[cell] || !both(cell)) continue;
      const j = cell % m;
      const q = [federated.quality[cell]!, local.quality[cell]! - shift, set.quality[cell]!] as const;
      const c = [
        logCost(federated.cost[cell]!),
        logCost(local.cost[cell]!),
        logCost(set.cost[cell]!),
      ] as const;
      addEvidence(quality[j]!, ...q);
      addEvidence(pooled.quality, ...q);
      addEvidence(cost[j]!, ...c);
      addEvidence(pooled.cost, ...c);
    }
  }
  return { quality, cost, pooled };
}

/**
 * How the weights are read from the evidence. "agreement" (the default): each model moves only as
 * far as both the client's pooled evidence and the model's own (`modelWeights`) carry it, the
 * smaller of the two weights. For comparison: "pooled", one weight over all of the client's
 * models; "hierarchical", `modelWeights` alone; "least-squares", the pooled weight unshrunk.
 */
export type EvidencePooling = "agreement" | "pooled" | "hierarchical" | "least-squares";

export function weightsOf(
  evidence: ClientEvidence,
  pooling: EvidencePooling,
  shrinkage: EvidenceShrinkage = PRIOR_EVIDENCE_DEFAULTS.shrinkage,
): PriorEvidenceWeights {
  const m = evidence.quality.length;
  const of = (perModel: DepartureEvidence[], pooled: DepartureEvidence): Float64Array => {
    if (pooling === "least-squares") return new Float64Array(m).fill(evidenceWeight(pooled, "none"));
    if (pooling === "hierarchical") return modelWeights(perModel, shrinkage);
    const w = evidenceWeight(pooled, shrinkage);
    if (pooling === "pooled") return new Float64Array(m).fill(w);
    return modelWeights(perModel, shrinkage).map((x) => Math.min(x, w));
  };
  return {
    quality: of(evidence.quality, evidence.pooled.quality),
    cost: of(evidence.cost, evidence.pooled.cost),
  };
}

/**
 * Local predictions of every row of `set` by routers trained without that row's fold (rows r with
 * r % k = fold), so that the local router is judged on cells it never saw.
 */
export async function heldOutPredictions(
  train: (set: EvaluationSet) => Promise<BatchPredictor>,
  set: EvaluationSet,
  folds: number,
): Promise<BatchPrediction> {
  const m = set.modelCount;
  const quality = new Float64Array(set.n * m);
  const cost = new Float64Array(set.n * m);
  // Rows no fold could predict (a single row) stay unavailable: no evidence from them.
  const available = new Uint8Array(set.n * m);
  const k = Math.min(folds, set.n);
  const rows = Array.from({ length: set.n }, (_, r) => r);
  for (let fold = 0; fold < k; fold++) {
    const heldOut = rows.filter((r) => r % k === fold);
    const kept = rows.filter((r) => r % k !== fold);
    if (heldOut.length === 0 || kept.length === 0) continue;
    const predict = await train(selectRows(set, kept));
    const p = await predict(selectRows(set, heldOut).features);
    for (const [i, r] of heldOut.entries()) {
      for (let j = 0; j < m; j++) {
        quality[r * m + j] = p.quality[i * m + j]!;
        cost[r * m + j] = p.cost[i * m + j]!;
        available[r * m + j] = p.available ? p.available[i * m + j]! : 1;
      }
    }
  }
  return { quality, cost, available };
}

export interface PriorEvidenceOptions {
  /** Folds of the local router's held-out predictions (default 5). */
  folds?: number;
  /** How weights are read from the evidence (default "agreement"). */
  pooling?: EvidencePooling;
  /** How least-squares weights are shrunk toward the federated router (default "posterior"). */
  shrinkage?: EvidenceShrinkage;
  /** Which part of the quality departure is judged (default "whole"). */
  departure?: QualityDeparture;
}

export const PRIOR_EVIDENCE_DEFAULTS: {
  folds: number;
  pooling: EvidencePooling;
  shrinkage: EvidenceShrinkage;
  departure: QualityDeparture;
} = {
  folds: 5,
  pooling: "agreement",
  shrinkage: "posterior",
  departure: "whole",
};

export interface PriorEvidencePersonalisation {
  /** The local router's weights the evidence carries. */
  weights: PriorEvidenceWeights;
  evidence: ClientEvidence;
}

/**
 * One client's weights: the federated router's predictions on its cells as the prior, the local
 * router's held-out departures from them regressed on what the client observed.
 */
export async function priorEvidenceWeights(
  federated: BatchPredictor,
  trainLocal: (set: EvaluationSet) => Promise<BatchPredictor>,
  set: EvaluationSet,
  options: PriorEvidenceOptions = {},
): Promise<PriorEvidencePersonalisation> {
  const { folds, ...reading } = { ...PRIOR_EVIDENCE_DEFAULTS, ...options };
  if (set.n < 2 || observedCounts(set).every((c) => c === 0)) return noEvidence(set.modelCount);
  const local = await heldOutPredictions(trainLocal, set, folds);
  return priorEvidenceOf(await federated(set.features), local, set, reading);
}

const noEvidence = (m: number): PriorEvidencePersonalisation => ({
  weights: { quality: new Float64Array(m), cost: new Float64Array(m) },
  evidence: {
    quality: Array.from({ length: m }, emptyEvidence),
    cost: Array.from({ length: m }, emptyEvidence),
    pooled: { quality: emptyEvidence(), cost: emptyEvidence() },
  },
});

/** How the evidence is read: everything of `PriorEvidenceOptions` but the folds. */
export type EvidenceReading = Omit<PriorEvidenceOptions, "folds">;

/** The same from the federated predictions and the local router's held-out ones on `set`'s rows. */
export function priorEvidenceOf(
  federated: BatchPrediction,
  heldOut: BatchPrediction,
  set: EvaluationSet,
  reading: EvidenceReading = {},
): PriorEvidencePersonalisation {
  const { pooling, shrinkage, departure } = { ...PRIOR_EVIDENCE_DEFAULTS, ...reading };
  const cells = set.n * set.modelCount;
  if (federated.quality.length !== cells || heldOut.quality.length !== cells)
    throw new RangeError(`predictions of ${federated.quality.length} cells for a set of ${cells}`);
  const evidence = departureEvidence(federated, heldOut, set, departure);
  return { weights: weightsOf(evidence, pooling, shrinkage), evidence };
}

/**
 * The personalised predictions: f + w (l - f) where both routers predict, whichever predicts
 * where only one does. Cost is blended on log1p(USD), the scale its weight was estimated on.
 */
export function blendPredictions(
  federated: BatchPrediction,
  local: BatchPrediction,
  weights: PriorEvidenceWeights,
): BatchPrediction {
  return combinePredictions(federated, local, weights.quality.length, (cell, j) => {
    const wq = weights.quality[j]!;
    const wc = weights.cost[j]!;
    const fq = federated.quality[cell]!;
    // A weight of exactly 0 (1) returns the federated (local) prediction bit for bit.
    const quality = wq === 0 ? fq : wq === 1 ? local.quality[cell]! : fq + wq * (local.quality[cell]! - fq);
    const fc = Math.log1p(Math.max(0, federated.cost[cell]!));
    const lc = Math.log1p(Math.max(0, local.cost[cell]!));
    const cost =
      wc === 0 ? federated.cost[cell]! : wc === 1 ? local.cost[cell]! : Math.expm1(fc + wc * (lc - fc));
    return { quality, cost };
  });
}

/** A predictor blending two routers with fixed prior-evidence weights. */
export function blendedPredictor(
  federated: BatchPredictor,
  local: BatchPredictor,
  weights: PriorEvidenceWeights,
): BatchPredictor {
  return async (features) => blendPredictions(await federated(features), await local(features), weights);
}
