// Scores what the organisations fetched from the edge with the experiment's own scorer: each
// organisation's SDK client predicts its own test set, and the harness trains the local and
// centralised references and builds the result exactly as `fedrouter experiment` does.
import type { FedrouterClient } from "../client-sdk/src/index.ts";
import type { Benchmark } from "../core/data/benchmark.ts";
import { type BatchPredictor, rowsToBatch } from "../core/prediction.ts";
import {
  type ExperimentOptions,
  type ExperimentResult,
  type PreparedExperiment,
  scoreExperiment,
} from "../experiments/harness.ts";
import type { Organisation } from "./organisations.ts";

/**
 * The harness's predictor view of an SDK client: every model's quality and cost for a batch of
 * feature rows, and which models the router may choose there (a K-means router never chooses a
 * (cluster, model) cell nobody evaluated).
 */
export function clientPredictor(client: FedrouterClient, dimension: number): BatchPredictor {
  return async (features: Float32Array) => {
    const n = features.length / dimension;
    const vectors = Array.from({ length: n }, (_, q) =>
      features.subarray(q * dimension, (q + 1) * dimension),
    );
    const predicted = await client.predict(vectors);
    return rowsToBatch(predicted, predicted.quality[0]?.length ?? 0);
  };
}

export interface EdgeModel {
  version: number;
  sha256: string;
}

/** Every organisation syncs the final model; they must all hold the same version and bytes. */
export async function syncAll(organisations: readonly Organisation[], kind: string): Promise<EdgeModel> {
  const held: EdgeModel[] = [];
  for (const organisation of organisations) {
    const client = organisation.clients[kind]!;
    await client.sync();
    const model = client.model!;
    held.push({ version: model.version, sha256: model.sha256 });
  }
  const first = held[0]!;
  const differing = held.filter((h) => h.version !== first.version || h.sha256 !== first.sha256);
  if (differing.length > 0)
    throw new Error(`the organisations hold different ${kind} models: ${JSON.stringify(held)}`);
  return first;
}

export async function scoreOverEdge(
  benchmark: Benchmark,
  prepared: PreparedExperiment,
  options: ExperimentOptions,
  organisations: readonly Organisation[],
  kind: string,
  started: number,
): Promise<ExperimentResult> {
  const d = prepared.context.embedder.dimension;
  const perClient = organisations.map((o) => clientPredictor(o.clients[kind]!, d));
  return scoreExperiment(benchmark, prepared, options, { global: perClient[0]!, perClient }, started);
}

/** Every organisation reports its AUC for the version it holds, on its own test set. */
export async function reportEvaluations(
  organisations: readonly Organisation[],
  kind: string,
  version: number,
  result: ExperimentResult,
): Promise<void> {
  for (const [i, organisation] of organisations.entries()) {
    const client = result.clients[i]!;
    await organisation.clients[kind]!.reportEvaluation({
      version,
      auc: Math.min(1, Math.max(0, client.ownTest.federated)),
      examples: client.nTest,
    });
  }
}
