// The MLP router in the harness: FedAvg through sums (or per-head weighting), local training on
// the compute the harness passes (onnxruntime: native in Node when installed, WASM otherwise), as
// the SDK runs it; with one-epoch fine-tuning, new models (head-only rounds) and new clients
// (distillation).
import type { EvaluationSet } from "../data/evaluations.ts";
import { roundSchedule, simulate } from "../federated.ts";
import { type BatchPredictor, widenPredictor } from "../prediction.ts";
import { fmix32, seededRandom } from "../random.ts";
import type { KindExperiment, LocalCompute, TrainingContext } from "../routers/kind.ts";
import type { HeadWeighting } from "./config.ts";
import { createFederatedMlp, localTrainingOptions } from "./federated.ts";
import type { AddModelsOptions, JoinClientsOptions } from "./growth.ts";
import { predictMlp } from "./predict.ts";
import { MLP_KIND, mlpRouter } from "./router-file.ts";
import { initialMlpState, type MlpState } from "./state.ts";

export interface MlpExperimentOptions {
  rounds?: number;
  /** Hidden units per layer (default MLP_DEFAULTS.hidden). */
  hidden?: number;
  weighting?: HeadWeighting;
  /** Participation fraction per federated round (the paper: 0.6). */
  fraction?: number;
  /** Server step on the averaged delta of a federated round (1: plain FedAvg). */
  serverLearningRate?: number;
  /** Start each quality head's bias at the logit of the model's federated mean quality. */
  qualityPrior?: boolean;
  /** Local epochs per round. */
  localEpochs?: number;
  /** Share of each client's rows held out for early stopping (0: none, the paper's protocol). */
  validationShare?: number;
  /** Validation passes without improvement before training stops. */
  patience?: number;
  /** Head-only rounds when models are added. */
  newModels?: AddModelsOptions;
  /** Joining rounds (default 2) and distillation weight (default 1) when clients join. */
  newClients?: JoinClientsOptions & {
    /** Share of the joining clients per joining round (default 1: all of them). */
    fraction?: number;
  };
}

/** Share of the pooled rows the centralised reference holds out to stop early. */
const CENTRALISED_VALIDATION_SHARE = 0.1;

/**
 * Centralised trainings, each on its own random stream, whose mean AUC is the reference: with USE
 * lite one training's global AUC moved by up to 0.04 with its stream alone (docs/tuning.md), more
 * than the 0.005 the federated router is held to, and a mean of five still by 0.008 between two
 * sets of streams. Ten cost a few seconds more per run (the pooled set is small).
 */
const CENTRALISED_TRAININGS = 10;

export function mlpExperiment(options: MlpExperimentOptions, compute: LocalCompute): KindExperiment {
  const { trainer } = compute;
  const algorithm = createFederatedMlp(trainer);
  /** The federated state trained last, the starting point of fine-tuning. */
  let lastFederated: MlpState | null = null;
  const initial = (context: TrainingContext, models = context.models): MlpState =>
    initialMlpState({
      models,
      embedder: context.embedder,
      ...(context.tags?.length ? { tags: [...context.tags] } : {}),
      seed: context.seed,
      ...(options.hidden !== undefined ? { hidden: options.hidden } : {}),
      ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
      ...(context.rounds !== undefined ? { rounds: context.rounds } : {}),
      ...(options.weighting ? { weighting: options.weighting } : {}),
      ...(options.fraction !== undefined ? { fraction: options.fraction } : {}),
      ...(options.serverLearningRate !== undefined ? { serverLearningRate: options.serverLearningRate } : {}),
      ...(options.qualityPrior !== undefined ? { qualityPrior: options.qualityPrior } : {}),
      ...(options.localEpochs !== undefined ? { localEpochs: options.localEpochs } : {}),
      ...(options.validationShare !== undefined ? { validationShare: options.validationShare } : {}),
      ...(options.patience !== undefined ? { patience: options.patience } : {}),
    });
  const predictor = async (state: MlpState): Promise<BatchPredictor> => {
    const router = mlpRouter(state);
    if (compute.networkPredictor) return compute.networkPredictor(router);
    return (features) => predictMlp(router, features);
  };
  const federate = (clients: readonly EvaluationSet[], state: MlpState, context: TrainingContext) =>
    simulate(context.privatise ? context.privatise(algorithm, state) : algorithm, state, clients, {
      fraction: state.config.fraction,
      random: context.random,
      // Seeded by the experiment's seed alone, so `npm start` over the edge can follow it.
      schedule: roundSchedule(context.seed),
    });
  const trainAlone = (state: MlpState, set: EvaluationSet, context: TrainingContext) => {
    const plain = { ...state, config: { ...state.config, serverLearningRate: 1 } };
    return simulate(algorithm, plain, [set], { fraction: 1, random: context.random });
  };
  return {
    name: MLP_KIND,
    async federated(clients, context) {
      lastFederated = await federate(clients, initial(context), context);
      return predictor(lastFederated);
    },
    // Alone (client-local or centralised) every round is one epoch over the one data set, and
    // nothing is averaged: the server step does not apply (it would extrapolate the epoch).
    async alone(set, context) {
      return predictor(await trainAlone(initial(context), set, context));
    },
    // Pooled, nothing averages the clients' epochs: the reference stops early on a held-out share
    // of the pooled rows (as anyone training on pooled data would), unless the options set one.
    async centralised(set, context) {
      const state = initial(context);
      const { rounds, localEpochs } = state.config;
      const validationShare = state.config.validationShare || CENTRALISED_VALIDATION_SHARE;
      // One epoch a round, as many epochs as the federated schedule: the stop lands on an epoch.
      const config = { ...state.config, validationShare, rounds: rounds * localEpochs, localEpochs: 1 };
      const trainings: BatchPredictor[] = [];
      for (let t = 0; t < CENTRALISED_TRAININGS; t++) {
        // The first draws from the experiment's stream, as the one training did before, and the
        // others from streams of their own: averaging moves none of the routers drawn after it.
        const random = t === 0 ? context.random : seededRandom(fmix32(context.seed ^ (0x63656e74 + t)));
        trainings.push(await predictor(await trainAlone({ ...state, config }, set, { ...context, random })));
      }
      return trainings;
    },
    async fineTune(set, context) {
      if (!lastFederated) throw new RangeError("fine-tuning starts from a federated router: train one first");
      const start = lastFederated;
      const training = { ...localTrainingOptions(start), epochs: 1 };
      // Its own seeded stream: fine-tuning must not shift the randomness of the other routers.
      const { params } = await trainer.train(start.params, set, training, seededRandom(context.seed));
      return predictor({ ...start, params });
    },
    async newModels(base, extended, added, context) {
      const all = context.models;
      const baseModels = all.slice(0, all.length - added.length);
      const trained = await federate(base, initial(context, baseModels), context);
      const grown = await federate(extended, algorithm.addModels(trained, added, options.newModels), context);
      return {
        before: widenPredictor(await predictor(trained), baseModels.length, all.length),
        after: await predictor(grown),
      };
    },
    async newClients(base, joining, context) {
      const { fraction = 1, ...join } = options.newClients ?? {};
      const trained = await federate(base, initial(context), context);
      // Only the joining clients take part from here on.
      const joined = await simulate(algorithm, algorithm.joinClients(trained, join), joining, {
        fraction,
        random: context.random,
      });
      return { before: await predictor(trained), after: await predictor(joined) };
    },
  };
}
