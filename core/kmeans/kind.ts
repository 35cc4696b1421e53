// The K-means router as a router kind: what the edge, the SDK and the harness reach through the
// registry (core/routers/registry.ts).
import type { HyperparameterSchema } from "../routers/hyperparameters.ts";
import { refusalOf, requireHyperparameters } from "../routers/hyperparameters.ts";
import type { KindSetup, RouterKind } from "../routers/kind.ts";
import { checkRowWidth } from "../routers/tags.ts";
import { addModels, federatedKMeans, kmeansRouter, startJoin } from "./federated.ts";
import { kmeansFootprint } from "./footprint.ts";
import { predictKMeans } from "./router.ts";
import type { Shrinkage } from "./shrinkage.ts";
import {
  initialKMeansState,
  KMEANS_DEFAULTS,
  KMEANS_KIND,
  type KMeansState,
  kmeansLastPass,
} from "./state.ts";
import { checkKMeansTotal } from "./total-check.ts";

const SCHEMA: HyperparameterSchema = {
  clusters: "number",
  lloydPasses: "number",
  powerPasses: "number",
  tolerance: "number",
  seed: "number",
  prior: "number",
  shrinkage: ["empirical-bayes", "fixed"],
  softness: "number",
};

function initialState(setup: KindSetup): KMeansState {
  const picked = requireHyperparameters(setup.hyperparameters, SCHEMA) as Record<string, number> & {
    shrinkage?: Shrinkage;
  };
  return initialKMeansState({
    ...picked,
    models: [...setup.models],
    embedder: setup.embedder,
    tags: [...(setup.tags ?? [])],
  });
}

/** `--clusters` and `--prior` as the experiment CLI passes them. */
function experimentNumber(value: number | string | boolean | undefined): number | undefined {
  return typeof value === "number" ? value : undefined;
}

export const kmeansKind: RouterKind<KMeansState> = {
  name: KMEANS_KIND,
  label: "K-means",
  defaults: KMEANS_DEFAULTS,
  trainsLocally: false,
  checkHyperparameters: (setup) => refusalOf(() => initialState(setup)),
  initialState,
  // A new router's state is small (one centroid): build it and measure.
  footprint: (setup, state) => kmeansFootprint(state ?? initialState(setup)),
  experimentHyperparameters: () => ({
    clusters: KMEANS_DEFAULTS.clusters,
    prior: KMEANS_DEFAULTS.prior,
    shrinkage: KMEANS_DEFAULTS.shrinkage,
    softness: KMEANS_DEFAULTS.softness,
  }),
  algorithm: () => federatedKMeans,
  checkTotal: checkKMeansTotal,
  // Every pass of the clustering needs every client's sums.
  participation: () => 1,
  localInitial: (state) => initialKMeansState(state.config),
  router(state) {
    const router = kmeansRouter(state);
    return {
      kind: KMEANS_KIND,
      embedder: state.config.embedder,
      models: state.config.models,
      tags: state.config.tags,
      predict: (vector) => {
        checkRowWidth(vector, state.config.embedder.dimension, state.config.tags);
        return predictKMeans(router, vector);
      },
    };
  },
  modelsBeingAdded: (state) =>
    state.phase === "extend"
      ? state.config.models.slice(state.config.models.length - (state.added ?? 0))
      : [],
  addModels,
  joinClients: (state) => startJoin(state),
  lastPass: kmeansLastPass,
  async experiment(options) {
    const clusters = experimentNumber(options.clusters);
    const prior = experimentNumber(options.prior);
    const softness = experimentNumber(options.softness);
    // Fewer passes leave each more of a DP budget (experiments/privacy-experiment.ts).
    const lloydPasses = experimentNumber(options.lloydPasses);
    const powerPasses = experimentNumber(options.powerPasses);
    const { shrinkage } = options;
    if (shrinkage !== undefined && shrinkage !== "empirical-bayes" && shrinkage !== "fixed")
      throw new RangeError(`--shrinkage must be empirical-bayes or fixed, got "${String(shrinkage)}"`);
    const { kmeansExperiment } = await import("./experiment.ts");
    return kmeansExperiment({
      ...(clusters === undefined ? {} : { clusters }),
      ...(prior === undefined ? {} : { prior }),
      ...(softness === undefined ? {} : { softness }),
      ...(shrinkage === undefined ? {} : { shrinkage }),
      ...(lloydPasses === undefined ? {} : { lloydPasses }),
      ...(powerPasses === undefined ? {} : { powerPasses }),
    });
  },
};
