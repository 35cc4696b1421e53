// The real edge for the SDK's tests: the worker the sdk project's global setup started under
// wrangler dev (edge-setup.ts). Each caller gets a tenant and federation of its own over HTTP,
// SDK clients enrolled in it, and rounds in which those clients train it through participate().
import { inject } from "vitest";
import { type ClientOptions, createClient, type FedrouterClient } from "../../../../client-sdk/src/index.ts";
import { roundSchedule } from "../../../../core/federated.ts";
import { decodeModelFile, type ModelFile } from "../../../../core/model-file.ts";
import { DEFAULT_FLOORS, majorityThreshold } from "../../../../core/secagg/index.ts";
import type { FederationConfigInput } from "../../../../core/wire/federation.ts";
import type { ModelPointer } from "../../../../core/wire/models.ts";
import type { PrivacySpec } from "../../../../core/wire/privacy.ts";
import type { RoundSummary } from "../../../../core/wire/rounds.ts";
import { EdgeClient } from "../../../browser/edge-client.ts";
import { embedderInfo, type Fixture, recordRows } from "./fixture.ts";
import { RequestLog } from "./request-log.ts";

type Deadlines = FederationConfigInput["roundPolicy"]["deadlines"];

export interface FederationOptions {
  kind: "kmeans" | "mlp";
  hyperparameters?: Record<string, number>;
  /** Enrolled clients. Default 5, the SDK's and the platform's minimum cohort. */
  clients?: number;
  /** Most clients a round invites. Default: every enrolled client. */
  cohortSize?: number;
  /** Seconds each stage stays open. Default 120: a stage closes once everyone has answered. */
  deadlines?: Partial<Deadlines>;
  /** The federation's tag vocabulary. Default: none. */
  tags?: string[];
  /** The federation's differential-privacy budget. Default: none. */
  privacy?: PrivacySpec;
  /** Most clients per shard: a larger cohort runs as shards. Default: the edge's (256). */
  shardSize?: number;
  /** The unsharded rounds' graph and threshold. Default: the complete graph, its majority threshold. */
  secureAggregation?: { threshold: number; neighbourDegree: number | "complete" };
}

/**
 * A K-means router small enough to train in four rounds: a Lloyd pass, a power pass that splits the
 * cluster, a Lloyd pass at two clusters, and the statistics pass.
 */
export const SMALL_KMEANS: FederationOptions = {
  kind: "kmeans",
  hyperparameters: { clusters: 2, lloydPasses: 1, powerPasses: 1 },
};

/** The MLP router of the SDK's tests: its statistics pass and one training round. */
export const SMALL_MLP: FederationOptions = {
  kind: "mlp",
  hyperparameters: { hidden: 8, rounds: 1, batchSize: 16 },
};

/** Every SDK client of these tests polls the local edge this often (ms). */
const POLL_MS = 20;

/** The small routers above finish in a handful of rounds: more means training is stuck. */
const MAX_ROUNDS = 30;

export class EdgeFederation {
  readonly owner: EdgeClient;
  readonly ownerToken: string;
  readonly federationId: string;
  readonly enrolled: readonly { clientId: string; token: string; modelPublicKey: string }[];

  constructor(
    owner: EdgeClient,
    setUp: {
      owner: string;
      federationId: string;
      clients: { clientId: string; token: string; modelPublicKey: string }[];
    },
  ) {
    this.owner = owner;
    this.ownerToken = setUp.owner;
    this.federationId = setUp.federationId;
    this.enrolled = setUp.clients;
  }

  /**
   * A fresh SDK client (its own store) of enrolled client `i`, given the model public key of its
   * enrolment as apps are told to, every request it sends logged, then sent with `options.fetch`
   * (default: straight to the edge).
   */
  client(i = 0, options: Partial<ClientOptions> = {}): { client: FedrouterClient; log: RequestLog } {
    const log = new RequestLog();
    const client = createClient({
      edgeUrl: this.owner.origin,
      federationId: this.federationId,
      token: this.enrolled[i]!.token,
      modelPublicKey: this.enrolled[i]!.modelPublicKey,
      pollIntervalMs: POLL_MS,
      ...options,
      fetch: log.fetch(options.fetch),
    });
    return { client, log };
  }

  /** The latest version as the edge points to it. */
  latest(): Promise<ModelPointer> {
    return this.owner.request("GET", `/v1/federations/${this.federationId}/models/latest`, this.ownerToken);
  }

  /** A published version's model file, decoded. */
  async modelFile(version: number): Promise<ModelFile> {
    const response = await fetch(
      `${this.owner.origin}/v1/federations/${this.federationId}/models/${version}`,
      {
        headers: { authorization: `Bearer ${this.ownerToken}` },
      },
    );
    if (!response.ok) throw new Error(`model version ${version}: ${response.status}`);
    return decodeModelFile(new Uint8Array(await response.arrayBuffer()));
  }

  /** Revokes enrolled client `i`'s token, as its owner would. */
  async revoke(i: number): Promise<void> {
    const path = `/v1/federations/${this.federationId}/clients/${this.enrolled[i]!.clientId}`;
    await this.owner.request("DELETE", path, this.ownerToken);
  }

  /** One SDK client per fixture client, holding that client's evaluations, to train the federation. */
  async trainers(data: Fixture): Promise<FedrouterClient[]> {
    return Promise.all(
      data.rows.map(async (_, c) => {
        const { client } = this.client(c);
        await recordRows(client, data, c);
        return client;
      }),
    );
  }

  /** Opens the next round as the owner (with `cohort` when given). */
  openRound(cohort?: string[]): Promise<RoundSummary> {
    const path = `/v1/federations/${this.federationId}/rounds`;
    return this.owner.request<RoundSummary>("POST", path, this.ownerToken, cohort ? { cohort } : undefined);
  }

  /** Adds LLMs to the trained federation: the edge publishes the grown router as the next version. */
  async addModels(ids: readonly string[]): Promise<void> {
    const models = ids.map((id) => ({ id, inputPrice: 0.2, outputPrice: 0.8 }));
    await this.owner.request("POST", `/v1/federations/${this.federationId}/growth`, this.ownerToken, {
      kind: "add-models",
      models,
    });
  }

  /**
   * Opens `rounds` rounds, or without it rounds until the model is final, the trainers in each
   * cohort taking part with a seeded schedule. Returns how many rounds ran.
   */
  async train(trainers: readonly FedrouterClient[], rounds?: number): Promise<number> {
    const schedule = roundSchedule(11);
    for (let pass = 0; pass < (rounds ?? MAX_ROUNDS); pass++) {
      let round: RoundSummary;
      try {
        round = await this.openRound();
      } catch (error) {
        // The edge refuses a round once the published model is final.
        if (rounds === undefined && String(error).includes("final")) return pass;
        throw error;
      }
      await Promise.all(
        trainers
          .filter((t) => round.cohort.includes(t.clientId))
          .map((t, i) => t.participate({ round: round.round, random: schedule.randomFor(pass, i) })),
      );
    }
    if (rounds === undefined) throw new Error(`training did not finish within ${MAX_ROUNDS} rounds`);
    return rounds;
  }
}

/** The configuration federationOnEdge creates, for the fixture's models and embedder. */
export function edgeFederationConfig(data: Fixture, options: FederationOptions): FederationConfigInput {
  const clients = options.clients ?? DEFAULT_FLOORS.minCohort;
  const cohortSize = options.cohortSize ?? clients;
  return {
    name: "sdk tests",
    router: { kind: options.kind, hyperparameters: options.hyperparameters ?? {} },
    models: data.benchmark.models.map((id, j) => ({
      id,
      inputPrice: 0.1 * (j + 1),
      outputPrice: 0.4 * (j + 1),
    })),
    embedder: embedderInfo,
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.privacy ? { privacy: options.privacy } : {}),
    roundPolicy: {
      cohortSize,
      minParticipants: DEFAULT_FLOORS.minSurvivors,
      participationFraction: 1,
      deadlines: { advertiseKeys: 120, shareKeys: 120, maskedInput: 120, unmask: 120, ...options.deadlines },
      ...(options.shardSize ? { shardSize: options.shardSize } : {}),
    },
    // The smallest threshold the floors allow: a strict majority of the complete round.
    secureAggregation: {
      threshold: Math.max(DEFAULT_FLOORS.minThreshold, majorityThreshold(cohortSize - 1)),
      neighbourDegree: "complete",
      ...options.secureAggregation,
      curve: "X25519",
    },
    clipping: { min: -1000, max: 1000 },
  };
}

/** A new tenant and federation on the real edge, for the fixture's models and embedder. */
export async function federationOnEdge(data: Fixture, options: FederationOptions): Promise<EdgeFederation> {
  const clients = options.clients ?? DEFAULT_FLOORS.minCohort;
  const owner = new EdgeClient(inject("edgeUrl"));
  return new EdgeFederation(
    owner,
    await owner.setUp(inject("operatorToken"), clients, edgeFederationConfig(data, options)),
  );
}

/** A federation trained to the end on the fixture by its own clients. */
export async function trainedFederation(data: Fixture, options: FederationOptions): Promise<EdgeFederation> {
  const federation = await federationOnEdge(data, options);
  await federation.train(await federation.trainers(data));
  return federation;
}

/** A trained small K-means and a trained small MLP federation, for tests that only read from them. */
export function trainedKinds(data: Fixture): Promise<{ kmeans: EdgeFederation; mlp: EdgeFederation }> {
  return Promise.all([trainedFederation(data, SMALL_KMEANS), trainedFederation(data, SMALL_MLP)]).then(
    ([kmeans, mlp]) => ({ kmeans, mlp }),
  );
}
