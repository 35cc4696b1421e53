// Organisations for the tests that run the SDK against the edge over HTTP: synthetic evaluations
// split among clients, a federation configuration to train on them, SDK clients enrolled and
// holding their evaluations, and rounds run through participate() on a schedule.
import {
  createClient,
  type FedrouterClient,
  type ParticipationResult,
} from "../../../client-sdk/src/index.ts";
import { type Benchmark, selectQueries } from "../../../core/data/benchmark.ts";
import { type EvaluationSet, evaluationSet } from "../../../core/data/evaluations.ts";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import type { RoundSchedule } from "../../../core/federated.ts";
import type { FederationConfigInput } from "../../../core/wire/federation.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import type { EdgeClient } from "../../browser/edge-client.ts";

export const embedder = hashingEmbedder({ dimension: 32 });
export const embedderInfo = { id: embedder.id, dimension: embedder.dimension };

export function federation(
  benchmark: Benchmark,
  overrides: Partial<FederationConfigInput>,
): FederationConfigInput {
  return {
    name: "sdk end to end",
    router: { kind: "mlp", hyperparameters: {} },
    models: benchmark.models.map((id, j) => ({ id, inputPrice: 0.1 * (j + 1), outputPrice: 0.4 * (j + 1) })),
    embedder: embedderInfo,
    // Five organisations, the platform's and the SDK's minimum cohort and survivors; t = 3 is the
    // majority of a complete round of five.
    roundPolicy: {
      cohortSize: 5,
      minParticipants: 5,
      participationFraction: 1,
      deadlines: { advertiseKeys: 120, shareKeys: 120, maskedInput: 120, unmask: 120 },
    },
    secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
    clipping: { min: -64, max: 64 },
    ...overrides,
  };
}

/** Which (query, model) cells a client has judged: two of three models per query, varying. */
export const judged = (row: number, model: number) => (row + model) % 3 !== 0;

export interface Organisation {
  benchmark: Benchmark;
  set: EvaluationSet;
}

/** Splits a synthetic benchmark into `count` organisations and builds each one's evaluation set. */
export async function organisations(count: number, perClient: number, seed: number): Promise<Organisation[]> {
  const benchmark = syntheticBenchmark({ seed, queries: count * perClient, tasks: 3, models: 3 });
  return Promise.all(
    Array.from({ length: count }, async (_, c) => {
      const rows = Array.from({ length: perClient }, (_, i) => c * perClient + i);
      const own = selectQueries(benchmark, rows);
      return { benchmark: own, set: evaluationSet(own, await embedder.embed(own.prompts), judged) };
    }),
  );
}

/** Every request body an SDK client sends, to check that no query text is among them. */
export function recordingFetch(sent: string[]): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const body = init?.body;
    if (typeof body === "string") sent.push(body);
    else if (body instanceof Uint8Array) sent.push(new TextDecoder("latin1").decode(body));
    return fetch(input, init);
  }) as typeof fetch;
}

/** Creates a tenant and the federation, enrols one SDK client per organisation and records its evaluations. */
export async function enrolSdkClients(
  owner: EdgeClient,
  operatorToken: string,
  config: FederationConfigInput,
  orgs: Organisation[],
  sent: string[] = [],
) {
  const setUp = await owner.setUp(operatorToken, orgs.length, config);
  const clients = setUp.clients.map((c) =>
    createClient({
      edgeUrl: owner.origin,
      federationId: setUp.federationId,
      token: c.token,
      modelPublicKey: c.modelPublicKey,
      pollIntervalMs: 50,
      fetch: recordingFetch(sent),
    }),
  );
  for (const [c, org] of orgs.entries()) {
    const m = org.benchmark.models.length;
    for (let q = 0; q < org.benchmark.ids.length; q++)
      for (let j = 0; j < m; j++)
        if (judged(q, j))
          await clients[c]!.record({
            query: org.benchmark.prompts[q]!,
            model: org.benchmark.models[j]!,
            quality: org.benchmark.quality[q * m + j]!,
            cost: org.benchmark.cost[q * m + j]!,
          });
  }
  return { ...setUp, sdk: clients };
}

/**
 * Runs `passes` rounds: the owner opens each one, and every organisation takes part with the
 * schedule's randomness for its index (participation 1: the cohort is everyone).
 */
export async function runRounds(
  owner: EdgeClient,
  ownerToken: string,
  federationId: string,
  sdk: readonly FedrouterClient[],
  schedule: RoundSchedule,
  passes: number,
): Promise<{ rounds: RoundSummary[]; results: ParticipationResult[][] }> {
  const rounds: RoundSummary[] = [];
  const results: ParticipationResult[][] = [];
  for (let pass = 0; pass < passes; pass++) {
    // The first round is open before the clients ask; later ones open while they wait.
    const open = () =>
      owner.request<RoundSummary>("POST", `/v1/federations/${federationId}/rounds`, ownerToken);
    const opened = pass === 0 ? await open() : undefined;
    const taking = Promise.all(
      sdk.map((client, i) => client.participate({ round: pass + 1, random: schedule.randomFor(pass, i) })),
    );
    rounds.push(opened ?? (await open()));
    results.push(await taking);
  }
  return { rounds, results };
}
