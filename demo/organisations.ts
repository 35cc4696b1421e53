// The simulated organisations: each keeps its share of the benchmark's training queries in its own
// evaluation store (one judged model per query, as the paper's protocol gives it) and holds one SDK
// client per federation it is enrolled in.
import { createClient, type Embedder, type FedrouterClient, MemoryStore } from "../client-sdk/src/index.ts";
import type { Benchmark } from "../core/data/benchmark.ts";
import type { ClientSplit } from "../experiments/protocol.ts";
import { enrolClients, type Owner } from "../operator/owner-api.ts";

export interface Organisation {
  /** Index into the experiment's client list (its schedule and randomness follow this index). */
  index: number;
  label: string;
  store: MemoryStore;
  /** Rows of the benchmark this organisation holds out for testing (never sent anywhere). */
  testRows: number[];
  /** Per router kind. */
  clients: Partial<Record<string, FedrouterClient>>;
}

/**
 * The organisation's evaluations in the order of its training rows, so the SDK builds the same
 * training set (row for row) as the experiment harness does from the same split.
 */
export function splitEvaluations(benchmark: Benchmark, split: ClientSplit) {
  const m = benchmark.models.length;
  return split.trainRows.map((row, i) => {
    const j = split.judgedModel[i]!;
    return {
      query: benchmark.prompts[row]!,
      model: benchmark.models[j]!,
      quality: benchmark.quality[row * m + j]!,
      cost: benchmark.cost[row * m + j]!,
    };
  });
}

export function createOrganisations(splits: readonly ClientSplit[]): Organisation[] {
  return splits.map((split) => ({
    index: split.id,
    label: `organisation ${split.id}`,
    store: new MemoryStore(),
    testRows: split.testRows,
    clients: {},
  }));
}

export interface EnrolOptions {
  owner: Owner;
  federationId: string;
  kind: string;
  embedder: Embedder;
  /** Round polling of the SDK (the edge answers on loopback within milliseconds). */
  pollIntervalMs: number;
}

/** Enrols every organisation in a federation and gives each an SDK client on its own store. */
export async function enrolOrganisations(
  organisations: readonly Organisation[],
  options: EnrolOptions,
): Promise<void> {
  // One request for all of them (the edge's batch enrolment), in the organisations' order.
  const labels = organisations.map((o) => o.label);
  const enrolments = await enrolClients(options.owner, options.federationId, labels);
  for (const [i, organisation] of organisations.entries()) {
    const enrolment = enrolments[i]!;
    organisation.clients[options.kind] = createClient({
      edgeUrl: options.owner.edgeUrl,
      federationId: options.federationId,
      token: enrolment.token,
      // The edge's key from the same enrolment: the client takes only models the edge signed.
      modelPublicKey: enrolment.modelPublicKey,
      store: organisation.store,
      embedder: options.embedder,
      pollIntervalMs: options.pollIntervalMs,
      // The MLP predicts with the same onnxruntime graph the experiment scores with.
      // Kinds without an onnxruntime predictor (K-means) predict in JavaScript either way.
      inference: "onnxruntime",
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
    });
  }
}

/** Records each organisation's training evaluations through its SDK client (checked, stored locally). */
export async function recordEvaluations(
  organisations: readonly Organisation[],
  benchmark: Benchmark,
  splits: readonly ClientSplit[],
  kind: string,
): Promise<void> {
  for (const organisation of organisations) {
    const client = organisation.clients[kind];
    if (!client) throw new Error(`${organisation.label} has no ${kind} client`);
    await organisation.store.clear();
    for (const evaluation of splitEvaluations(benchmark, splits[organisation.index]!))
      await client.record(evaluation);
  }
}
