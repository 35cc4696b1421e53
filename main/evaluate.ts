// Scores what the organisations fetched from the edge with the experiment's own scorer: each
// organisation's SDK client predicts its own test set, and the harness trains the local and
// centralized references and builds the result exactly as `fedrouter experiment` does.
import type { FedrouterClient } from "../client-sdk/src/index.ts";
import type { Benchmark } from "../core/data/benchmark.ts";
import type { BatchPrediction, Predictor } from "../experiments/family.ts";
import {
  type ExperimentOptions,
  type ExperimentResult,
  type PreparedExperiment,
  scoreExperiment,
} from "../experiments/harness.ts";
import type { RouterKind } from "./federations.ts";
import type { Organisation } from "./organisations.ts";

/**
 * The harness's predictor view of an SDK client: every model's quality and cost for a batch of
 * feature rows, and which models the router may choose there (a K-means router never chooses a
 * (cluster, model) cell nobody evaluated).
 */
export function clientPredictor(client: FedrouterClient, dimension: number): Predictor {
  return async (features: Float32Array): Promise<BatchPrediction> => {
    const n = features.length / dimension;
    const vectors = Array.from({ length: n }, (_, q) =>
      features.subarray(q * dimension, (q + 1) * dimension),
    );
    const predicted = await client.predict(vectors);
    const m = predicted.quality[0]?.length ?? 0;
    const quality = new Float64Array(n * m);
    const cost = new Float64Array(n * m);
    const available = predicted.available ? new Uint8Array(n * m) : null;
    for (let q = 0; q < n; q++) {
      quality.set(predicted.quality[q]!, q * m);
      cost.set(predicted.cost[q]!, q * m);
      available?.set(predicted.available![q]!, q * m);
    }
    return { quality, cost, available };
  };
}

export interface EdgeModel {
  version: number;
  sha256: string;
}

/** Every organisation syncs the final model; they must all hold the same version and bytes. */
export async function syncAll(organisations: readonly Organisation[], kind: RouterKind): Promise<EdgeModel> {
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
  kind: RouterKind,
  started: number,
): Promise<ExperimentResult> {
  const d = prepared.context.embedder.dimension;
  const perClient = organisations.map((o) => clientPredictor(o.clients[kind]!, d));
  return scoreExperiment(benchmark, prepared, options, { global: perClient[0]!, perClient }, started);
}

/** Every organisation reports its AUC for the version it holds, on its own test set. */
export async function reportEvaluations(
  organisations: readonly Organisation[],
  kind: RouterKind,
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
