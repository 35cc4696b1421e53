// The MLP router in the harness: FedAvg through sums (or per-head weighting), local
// training on onnxruntime (native in Node when installed, WASM otherwise), as the SDK runs it;
// with one-epoch fine-tuning, new models (head-only rounds) and new clients (distillation).

import { type Backend, createOrtPredictor, createOrtTrainer } from "../client-sdk/src/train/index.ts";
import type { EvaluationSet } from "../core/data/evaluations.ts";
import { roundSchedule, simulate } from "../core/federated.ts";
import {
  type AddModelsOptions,
  createFederatedMlp,
  type HeadWeighting,
  initialMlpState,
  type JoinClientsOptions,
  localTrainingOptions,
  type MlpState,
  mlpRouter,
} from "../core/mlp/index.ts";
import { seededRandom } from "../core/random.ts";
import type { Predictor, RouterFamily, TrainingContext } from "./family.ts";
import { widenPredictor } from "./kmeans-growth.ts";

export interface MlpFamilyOptions {
  rounds?: number;
  weighting?: HeadWeighting;
  backend?: Backend;
  /** Participation fraction per federated round (the paper: 0.6). */
  fraction?: number;
  /** Server step on the averaged delta of a federated round (1: plain FedAvg). */
  serverLearningRate?: number;
  /** Start each quality head's bias at the logit of the model's federated mean quality. */
  qualityPrior?: boolean;
  /** Head-only rounds when models are added. */
  newModels?: AddModelsOptions;
  /** Joining rounds (default 2) and distillation weight (default 1) when clients join. */
  newClients?: JoinClientsOptions & {
    /** Share of the joining clients per joining round (default 1: all of them). */
    fraction?: number;
  };
}

export function mlpFamily(options: MlpFamilyOptions = {}): RouterFamily {
  const backend = options.backend ?? "auto";
  const trainer = createOrtTrainer({ backend });
  const algorithm = createFederatedMlp(trainer);
  /** The federated state trained last, the starting point of fine-tuning. */
  let lastFederated: MlpState | null = null;
  const initial = (context: TrainingContext, models = context.models): MlpState =>
    initialMlpState({
      models,
      embedder: context.embedder,
      seed: context.seed,
      ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
      ...(context.rounds !== undefined ? { rounds: context.rounds } : {}),
      ...(options.weighting ? { weighting: options.weighting } : {}),
      ...(options.fraction !== undefined ? { fraction: options.fraction } : {}),
      ...(options.serverLearningRate !== undefined ? { serverLearningRate: options.serverLearningRate } : {}),
      ...(options.qualityPrior !== undefined ? { qualityPrior: options.qualityPrior } : {}),
    });
  const predictor = async (state: MlpState): Promise<Predictor> => {
    const ort = await createOrtPredictor(mlpRouter(state), { backend, runtime: await trainer.runtime() });
    return (features) => ort.predict(features);
  };
  const federate = (clients: readonly EvaluationSet[], state: MlpState, context: TrainingContext) =>
    simulate(algorithm, state, clients, {
      fraction: state.config.fraction,
      random: context.random,
      // Seeded by the experiment's seed alone, so `npm start` over the edge can follow it.
      schedule: roundSchedule(context.seed),
    });
  return {
    name: "mlp",
    async federated(clients, context) {
      lastFederated = await federate(clients, initial(context), context);
      return predictor(lastFederated);
    },
    // Alone (client-local or centralized) every round is one epoch over the one data set, and
    // nothing is averaged: the server step does not apply (it would extrapolate the epoch).
    async alone(set, context) {
      const state = initial(context);
      const plain = { ...state, config: { ...state.config, serverLearningRate: 1 } };
      return predictor(await simulate(algorithm, plain, [set], { fraction: 1, random: context.random }));
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
