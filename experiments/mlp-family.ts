// The MLP router in the harness: FedAvg through sums (per-head weighting by default), local
// training on onnxruntime (native in Node when installed, WASM otherwise), as the SDK runs it.

import { type Backend, createOrtPredictor, createOrtTrainer } from "../client-sdk/src/train/index.ts";
import type { EvaluationSet } from "../core/data/evaluations.ts";
import { simulate } from "../core/federated.ts";
import {
  createFederatedMlp,
  type HeadWeighting,
  initialMlpState,
  type MlpState,
  mlpRouter,
} from "../core/mlp/index.ts";
import type { Predictor, RouterFamily, TrainingContext } from "./family.ts";

export interface MlpFamilyOptions {
  rounds?: number;
  weighting?: HeadWeighting;
  backend?: Backend;
  /** Participation fraction per federated round (the paper: 0.6). */
  fraction?: number;
}

export function mlpFamily(options: MlpFamilyOptions = {}): RouterFamily {
  const backend = options.backend ?? "auto";
  const trainer = createOrtTrainer({ backend });
  const algorithm = createFederatedMlp(trainer);
  const initial = (context: TrainingContext): MlpState =>
    initialMlpState({
      models: context.models,
      embedder: context.embedder,
      seed: context.seed,
      ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
      ...(context.rounds !== undefined ? { rounds: context.rounds } : {}),
      ...(options.weighting ? { weighting: options.weighting } : {}),
      ...(options.fraction !== undefined ? { fraction: options.fraction } : {}),
    });
  const predictor = async (state: MlpState): Promise<Predictor> => {
    const ort = await createOrtPredictor(mlpRouter(state), { backend, runtime: await trainer.runtime() });
    return async (features) => ({ ...(await ort.predict(features)), available: null });
  };
  const train = async (clients: readonly EvaluationSet[], context: TrainingContext, fraction: number) => {
    const state = initial(context);
    const trained = await simulate(algorithm, state, clients, { fraction, random: context.random });
    return predictor(trained);
  };
  return {
    name: "mlp",
    federated: (clients, context) => train(clients, context, initial(context).config.fraction),
    // Alone (client-local or centralized) every round sees the one data set.
    alone: (set, context) => train([set], context, 1),
  };
}
