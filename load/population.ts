// The load generator's clients and their data: a seeded synthetic benchmark split evenly among
// N clients, each holding its share as judged evaluations (two of three models per query), and
// the federation they train, with the hashing embedder (no weights to load) and secure
// aggregation parameters chosen for the cohort size and dropout rate.
import type { Evaluation } from "../client-sdk/src/index.ts";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { hashingEmbedder } from "../core/embedder/hashing.ts";
import { chooseParameters, DEFAULT_FLOORS } from "../core/secagg/index.ts";
import type { FederationConfigInput } from "../core/wire/federation.ts";

export interface PopulationSpec {
  clients: number;
  queriesPerClient: number;
  seed: number;
}

/** Which (query, model) cells a client judged: two of the three models, varying by query. */
const judged = (row: number, model: number) => (row + model) % 3 !== 0;

/** Every client's evaluations (client i holds rows i*q .. i*q+q-1 of the benchmark) and the models. */
export function population(spec: PopulationSpec): { models: string[]; evaluations: Evaluation[][] } {
  const q = spec.queriesPerClient;
  const benchmark = syntheticBenchmark({ seed: spec.seed, queries: spec.clients * q, tasks: 6, models: 3 });
  const m = benchmark.models.length;
  const evaluations = Array.from({ length: spec.clients }, (_, c) => {
    const own: Evaluation[] = [];
    for (let row = c * q; row < (c + 1) * q; row++)
      for (let j = 0; j < m; j++)
        if (judged(row, j))
          own.push({
            query: benchmark.prompts[row]!,
            model: benchmark.models[j]!,
            quality: benchmark.quality[row * m + j]!,
            cost: benchmark.cost[row * m + j]!,
          });
    return own;
  });
  return { models: benchmark.models, evaluations };
}

export interface FederationSpec {
  kind: string;
  hyperparameters: Record<string, number | string | boolean>;
  models: readonly string[];
  /** Of the hashing embedder. */
  dimension: number;
  clients: number;
  dropout: number;
  /** Each stage's deadline: a client silent in a stage holds it open this long. */
  stageDeadlineSeconds: number;
  /** The first stage's: clients fetch the model and train before they advertise their keys. */
  advertiseDeadlineSeconds: number;
  /** Contributions are clipped to [-clip, clip] before fixed-point encoding. */
  clip: number;
  /** Most clients per shard (the edge's default, 256, when absent). */
  shardSize?: number;
  /** roundPolicy.stageQuorum: when a stage stops waiting for stragglers (the edge's default when absent). */
  stageQuorum?: number;
}

/** A continuous-schedule federation: the edge opens every round itself once the clients check in. */
export function federationConfig(spec: FederationSpec): FederationConfigInput {
  const chosen = chooseParameters({
    cohortSize: spec.clients,
    dropoutRate: Math.max(spec.dropout, 0.01),
    corruptFraction: 0.1,
  });
  if (!chosen.ok)
    throw new Error(`secure aggregation parameters for ${spec.clients} clients: ${chosen.message}`);
  const { threshold, neighbourDegree } = chosen.value;
  const deadline = spec.stageDeadlineSeconds;
  const embedder = hashingEmbedder({ dimension: spec.dimension });
  return {
    name: `load ${spec.kind} ${spec.clients}`,
    router: { kind: spec.kind, hyperparameters: spec.hyperparameters },
    models: spec.models.map((id, j) => ({ id, inputPrice: 0.1 * (j + 1), outputPrice: 0.4 * (j + 1) })),
    embedder: { id: embedder.id, dimension: embedder.dimension },
    roundPolicy: {
      cohortSize: spec.clients,
      minParticipants: Math.max(DEFAULT_FLOORS.minSurvivors, threshold),
      ...(spec.shardSize === undefined ? {} : { shardSize: spec.shardSize }),
      ...(spec.stageQuorum === undefined ? {} : { stageQuorum: spec.stageQuorum }),
      participationFraction: 1,
      deadlines: {
        advertiseKeys: spec.advertiseDeadlineSeconds,
        shareKeys: deadline,
        maskedInput: deadline,
        consistencyCheck: deadline,
        unmask: deadline,
      },
    },
    secureAggregation: { threshold, neighbourDegree, curve: "X25519" },
    clipping: { min: -spec.clip, max: spec.clip },
    // Every client checked in opens the first round; later rounds open as soon as one ends. A
    // client whose check-in lapsed mid-training is waited for this long at most.
    schedule: {
      kind: "continuous",
      minClients: spec.clients,
      maxWaitSeconds: 20,
      retrainAfterEvaluations: Number.MAX_SAFE_INTEGER,
    },
  };
}
