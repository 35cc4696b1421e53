// The MLP router as a router kind: what the edge, the SDK and the harness reach through the
// registry (core/routers/registry.ts).
import { type HyperparameterSchema, refusalOf, requireHyperparameters } from "../routers/hyperparameters.ts";
import type { KindSetup, LocalCompute, RouterKind } from "../routers/kind.ts";
import { checkRowWidth } from "../routers/tags.ts";
import { type HeadWeighting, MLP_DEFAULTS, type MlpConfigInput, mlpConfig } from "./config.ts";
import { createFederatedMlp } from "./federated.ts";
import { mlpFootprint } from "./footprint.ts";
import { addModels, joinClients } from "./growth.ts";
import { parameterLayout } from "./layout.ts";
import type { LocalTrainer } from "./local-training.ts";
import { predictionFromOutputs } from "./predict.ts";
import { referenceForward } from "./reference.ts";
import { MLP_KIND, mlpRouter } from "./router-file.ts";
import { initialMlpState, type MlpState } from "./state.ts";
import { checkMlpTotal } from "./total-check.ts";

const SCHEMA: HyperparameterSchema = {
  hidden: "number",
  dropout: "number",
  rounds: "number",
  fraction: "number",
  localEpochs: "number",
  batchSize: "number",
  seed: "number",
  deltaClip: "number",
  validationShare: "number",
  patience: "number",
  weighting: ["per-head", "fedavg"],
};

function configInput(setup: KindSetup): MlpConfigInput {
  const picked = requireHyperparameters(setup.hyperparameters, SCHEMA) as Record<string, number> & {
    weighting?: HeadWeighting;
  };
  return {
    ...picked,
    models: [...setup.models],
    embedder: setup.embedder,
    ...(setup.tags?.length ? { tags: [...setup.tags] } : {}),
  };
}

const { hidden, dropout, rounds, fraction, localEpochs, batchSize, seed, deltaClip, weighting } =
  MLP_DEFAULTS;

/**
 * The edge only aggregates: finalise averages the clients' deltas and never trains, so the
 * algorithm it holds has a trainer that refuses to run.
 */
const aggregateOnly: LocalTrainer = {
  async train() {
    throw new Error("the edge aggregates MLP rounds; local training runs in the clients");
  },
};

export const mlpKind: RouterKind<MlpState> = {
  name: MLP_KIND,
  label: "MLP",
  defaults: { hidden, dropout, rounds, fraction, localEpochs, batchSize, seed, deltaClip, weighting },
  trainsLocally: true,
  checkHyperparameters: (setup) => refusalOf(() => mlpConfig(configInput(setup))),
  initialState: (setup) => initialMlpState(configInput(setup)),
  // From the configuration alone: the initial weights may be too many to allocate.
  footprint: (setup, state) => mlpFootprint(state?.config ?? mlpConfig(configInput(setup)), state),
  // The initial weights are seeded by the experiment's seed.
  experimentHyperparameters: (seed) => ({
    seed,
    rounds: MLP_DEFAULTS.rounds,
    localEpochs: MLP_DEFAULTS.localEpochs,
    fraction: MLP_DEFAULTS.fraction,
  }),
  algorithm: (compute?: LocalCompute) => createFederatedMlp(compute?.trainer ?? aggregateOnly),
  checkTotal: checkMlpTotal,
  participation: (state) => state.config.fraction,
  // Nothing is averaged with one client: a server step other than 1 would extrapolate.
  localInitial: (state) => initialMlpState({ ...state.config, serverLearningRate: 1 }),
  router(state) {
    const router = mlpRouter(state);
    const layout = parameterLayout(router.shape);
    // The plain forward pass, with the weights widened once rather than on every query.
    const params = Float64Array.from(router.params);
    return {
      kind: MLP_KIND,
      embedder: router.embedder,
      models: router.models,
      tags: router.tags,
      predict: (vector) => {
        checkRowWidth(vector, router.embedder.dimension, router.tags);
        const outputs = referenceForward(layout, params, vector, 1, null);
        const { quality, cost, available } = predictionFromOutputs(
          router,
          outputs.qualityLogit,
          outputs.costOutput,
          1,
        );
        return { quality, cost, ...(available ? { available } : {}) };
      },
    };
  },
  async acceleratedPredictor(state, compute) {
    const router = mlpRouter(state);
    if (!compute.networkPredictor) throw new RangeError("no network predictor in this compute");
    return compute.networkPredictor(router);
  },
  modelsBeingAdded: (state) =>
    state.growth?.kind === "new-models" ? state.config.models.slice(state.growth.firstAdded) : [],
  addModels: (state, models) => addModels(state, models),
  joinClients: (state) => joinClients(state),
  async experiment(options, compute) {
    const { rounds, weighting } = options;
    if (weighting !== undefined && weighting !== "per-head" && weighting !== "fedavg")
      throw new RangeError(`--weighting must be per-head or fedavg, got "${String(weighting)}"`);
    const numbers: Record<string, number> = {};
    for (const key of [
      "hidden",
      "localEpochs",
      "validationShare",
      "patience",
      "fraction",
      "serverLearningRate",
    ]) {
      const value = options[key];
      if (value === undefined) continue;
      if (typeof value !== "number") throw new RangeError(`${key} must be a number, got "${String(value)}"`);
      numbers[key] = value;
    }
    const { qualityPrior } = options;
    const { mlpExperiment } = await import("./experiment.ts");
    const { createReferenceTrainer } = await import("./reference-trainer.ts");
    return mlpExperiment(
      {
        ...numbers,
        ...(typeof rounds === "number" ? { rounds } : {}),
        ...(weighting === undefined ? {} : { weighting }),
        ...(typeof qualityPrior === "boolean" ? { qualityPrior } : {}),
      },
      compute ?? { trainer: createReferenceTrainer() },
    );
  },
};
