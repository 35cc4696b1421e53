// End to end: a trained federation grows over the edge. SDK clients train an MLP router, the
// owner adds an LLM (the next rounds learn only its head: the trunk and the old heads keep their
// bytes) and then lets five new organisations join (rounds whose cohort is only them, with
// distillation); a K-means federation adds an LLM through its statistics pass and takes in new
// organisations, which cluster their own data first. The owner's
// mistakes get the API's error envelope.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type FedrouterClient } from "../../../client-sdk/src/index.ts";
import { roundSchedule } from "../../../core/federated.ts";
import { federatedKMeans } from "../../../core/kmeans/federated.ts";
import { mlpFromModelFile, mlpShape } from "../../../core/mlp/index.ts";
import { headRanges, parameterLayout, slotOf } from "../../../core/mlp/layout.ts";
import type { MlpState } from "../../../core/mlp/state.ts";
import { decodeModelFile, type ModelFile } from "../../../core/model-file.ts";
import type { ClientEnrolment } from "../../../core/wire/clients.ts";
import type { Federation } from "../../../core/wire/federation.ts";
import type { ModelPointer } from "../../../core/wire/models.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import { type DevEdge, startDevEdge } from "../../browser/dev-edge.ts";
import { EdgeClient } from "../../browser/edge-client.ts";
import { enrolSdkClients, federation, type Organisation, organisations } from "./organisations.ts";

const OPERATOR = "growth-operator-token";
const SEED = 23;
const NEW_MODEL = { id: "new-llm", inputPrice: 0.05, outputPrice: 0.2 };

let edge: DevEdge;
beforeAll(async () => {
  edge = await startDevEdge(OPERATOR);
}, 120_000);
afterAll(async () => {
  await edge?.stop();
});

async function latestFile(owner: EdgeClient, token: string, federationId: string): Promise<ModelFile> {
  const pointer = await owner.request<ModelPointer>(
    "GET",
    `/v1/federations/${federationId}/models/latest`,
    token,
  );
  const response = await fetch(`${edge.origin}/v1/federations/${federationId}/models/${pointer.version}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return decodeModelFile(new Uint8Array(await response.arrayBuffer()));
}

/**
 * Opens rounds (with `cohort` when given) until the published model is final; the cohort's SDK
 * clients take part in each. Returns the rounds' summaries.
 */
async function trainToTheEnd(
  owner: EdgeClient,
  token: string,
  federationId: string,
  members: { clientId: string; sdk: FedrouterClient }[],
  cohort?: string[],
): Promise<RoundSummary[]> {
  const rounds: RoundSummary[] = [];
  const schedule = roundSchedule(SEED);
  for (let pass = 0; pass < 30; pass++) {
    const path = `/v1/federations/${federationId}/rounds`;
    let opened: RoundSummary;
    try {
      opened = await owner.request<RoundSummary>("POST", path, token, cohort ? { cohort } : undefined);
    } catch (error) {
      // The federation refuses a round once its model is final.
      if (String(error).includes("final")) return rounds;
      throw error;
    }
    const taking = members.filter((m) => opened.cohort.includes(m.clientId));
    await Promise.all(
      taking.map((m, i) => m.sdk.participate({ round: opened.round, random: schedule.randomFor(pass, i) })),
    );
    rounds.push(opened);
  }
  throw new Error("training did not finish within 30 rounds");
}

/** Records the new model's evaluations on every third query (quality alternating, 0.002 USD). */
async function evaluateNewModel(client: FedrouterClient, org: Organisation): Promise<number> {
  let recorded = 0;
  for (let q = 0; q < org.benchmark.ids.length; q += 3) {
    await client.record({
      query: org.benchmark.prompts[q]!,
      model: NEW_MODEL.id,
      quality: q % 2,
      cost: 0.002,
    });
    recorded++;
  }
  return recorded;
}

/** Enrols organisations into a running federation as SDK clients holding their evaluations. */
async function enrolJoining(
  owner: EdgeClient,
  token: string,
  federationId: string,
  orgs: Organisation[],
): Promise<{ clientId: string; sdk: FedrouterClient }[]> {
  const joining: { clientId: string; sdk: FedrouterClient }[] = [];
  for (const org of orgs) {
    const enrolment = await owner.request<ClientEnrolment>(
      "POST",
      `/v1/federations/${federationId}/clients`,
      token,
      {},
    );
    const sdk = createClient({
      edgeUrl: edge.origin,
      federationId,
      token: enrolment.token,
      modelPublicKey: enrolment.modelPublicKey,
      pollIntervalMs: 50,
    });
    const m = org.benchmark.models.length;
    for (let q = 0; q < org.benchmark.ids.length; q++)
      await sdk.record({
        query: org.benchmark.prompts[q]!,
        model: org.benchmark.models[q % m]!,
        quality: org.benchmark.quality[q * m + (q % m)]!,
        cost: org.benchmark.cost[q * m + (q % m)]!,
      });
    joining.push({ clientId: enrolment.client.id, sdk });
  }
  return joining;
}

const tensor = (state: MlpState, name: Parameters<typeof slotOf>[1]) => {
  const slot = slotOf(parameterLayout(mlpShape(state.config)), name);
  return state.params.slice(slot.offset, slot.offset + slot.length);
};

/** Model j's head parameters (its rows of every head tensor). */
const head = (state: MlpState, j: number) =>
  headRanges(parameterLayout(mlpShape(state.config)), j).flatMap(({ start, end }) => [
    ...state.params.slice(start, end),
  ]);

describe("growing a federation over the edge", () => {
  it("adds an LLM to a trained MLP router, then lets new organisations join", async () => {
    const owner = new EdgeClient(edge.origin);
    // Five organisations train it and five join: each round has the minimum cohort of five.
    const orgs = await organisations(10, 24, SEED);
    const hyperparameters = { rounds: 1, hidden: 16, batchSize: 16, seed: 3 };
    const config = federation(orgs[0]!.benchmark, {
      router: { kind: "mlp", hyperparameters },
      clipping: { min: -256, max: 256 },
    });
    const base = orgs.slice(0, 5);
    const setUp = await enrolSdkClients(owner, OPERATOR, config, base);
    const { owner: token, federationId } = setUp;
    const members = setUp.clients.map((c, i) => ({ clientId: c.clientId, sdk: setUp.sdk[i]! }));

    // Growing before the model is final is refused.
    await expect(
      owner.request("POST", `/v1/federations/${federationId}/growth`, token, {
        kind: "add-models",
        models: [NEW_MODEL],
      }),
    ).rejects.toThrow(/409.*"conflict"/);

    expect((await trainToTheEnd(owner, token, federationId, members)).length).toBe(3);
    const trained = mlpFromModelFile(await latestFile(owner, token, federationId));
    expect(trained.phase).toBe("done");

    // Bad growth requests: an LLM already in the federation, an unknown kind, a client's token.
    await expect(
      owner.request("POST", `/v1/federations/${federationId}/growth`, token, {
        kind: "add-models",
        models: [config.models[0]],
      }),
    ).rejects.toThrow(/422.*"invalid_config"/);
    await expect(
      owner.request("POST", `/v1/federations/${federationId}/growth`, token, { kind: "shrink" }),
    ).rejects.toThrow(/400.*"invalid_request"/);
    await expect(
      owner.request("POST", `/v1/federations/${federationId}/growth`, setUp.clients[0]!.token, {
        kind: "join-clients",
      }),
    ).rejects.toThrow(/403/);

    const held = await members[0]!.sdk.sync();
    const grown = await owner.request<Federation>("POST", `/v1/federations/${federationId}/growth`, token, {
      kind: "add-models",
      models: [NEW_MODEL],
    });
    // The grown version cannot route until its new heads are trained: clients keep the held one.
    expect(await members[0]!.sdk.sync()).toEqual({
      version: held.version,
      changed: false,
      pending: grown.latestVersion,
    });
    expect(grown.config.models.map((m) => m.id)).toEqual([...config.models.map((m) => m.id), NEW_MODEL.id]);
    const growing = mlpFromModelFile(await latestFile(owner, token, federationId));
    expect(growing.phase).toBe("new-model-stats");
    for (const [i, org] of base.entries()) expect(await evaluateNewModel(members[i]!.sdk, org)).toBe(8);
    // The statistics of the new model, then one head-only round.
    expect((await trainToTheEnd(owner, token, federationId, members)).length).toBe(2);
    const added = mlpFromModelFile(await latestFile(owner, token, federationId));
    expect(added.phase).toBe("done");
    expect(added.config.models).toEqual([...trained.config.models, NEW_MODEL.id]);
    // The trunk and the old heads keep their bytes; the new model's head learnt.
    for (const name of ["layer1.weight", "layer1.bias", "layer2.weight", "norm2.weight"] as const) {
      expect(tensor(added, name).length).toBeGreaterThan(0);
      expect(tensor(added, name)).toEqual(tensor(trained, name));
    }
    for (let j = 0; j < trained.config.models.length; j++) expect(head(added, j)).toEqual(head(trained, j));
    const fresh = trained.config.models.length;
    expect(head(added, fresh)).not.toEqual(head(growing, fresh));
    expect((await members[0]!.sdk.sync()).changed).toBe(true);
    const decision = await members[0]!.sdk.route(base[0]!.benchmark.prompts[0]!);
    expect(decision.predictions.map((p) => p.model)).toContain(NEW_MODEL.id);
    expect(decision.version).toBe(grown.latestVersion + 2);

    // Five organisations join: enrolled, holding their evaluations, and the only cohort.
    const joining = await enrolJoining(owner, token, federationId, orgs.slice(5));
    await owner.request<Federation>("POST", `/v1/federations/${federationId}/growth`, token, {
      kind: "join-clients",
    });
    expect(mlpFromModelFile(await latestFile(owner, token, federationId)).phase).toBe("join");
    const cohort = joining.map((j) => j.clientId);
    const joinRounds = await trainToTheEnd(owner, token, federationId, [...members, ...joining], cohort);
    expect(joinRounds.length).toBe(2);
    for (const round of joinRounds) expect([...round.cohort].sort()).toEqual([...cohort].sort());
    const joined = mlpFromModelFile(await latestFile(owner, token, federationId));
    expect(joined.phase).toBe("done");
    expect(joined.params).not.toEqual(added.params);
  }, 300_000);

  it("adds an LLM to a trained K-means router, then lets new organisations cluster their data and join", async () => {
    const owner = new EdgeClient(edge.origin);
    const orgs = await organisations(10, 24, SEED + 1);
    const base = orgs.slice(0, 5);
    const config = federation(orgs[0]!.benchmark, {
      router: { kind: "kmeans", hyperparameters: { clusters: 2 } },
    });
    const setUp = await enrolSdkClients(owner, OPERATOR, config, base);
    const { owner: token, federationId } = setUp;
    const members = setUp.clients.map((c, i) => ({ clientId: c.clientId, sdk: setUp.sdk[i]! }));
    await trainToTheEnd(owner, token, federationId, members);
    const held = await members[1]!.sdk.sync();
    const grown = await owner.request<Federation>("POST", `/v1/federations/${federationId}/growth`, token, {
      kind: "add-models",
      models: [NEW_MODEL],
    });
    // Until the new statistics are in, clients keep routing with the trained version.
    expect(await members[1]!.sdk.sync()).toEqual({
      version: held.version,
      changed: false,
      pending: grown.latestVersion,
    });
    expect((await members[1]!.sdk.route(base[1]!.benchmark.prompts[0]!)).version).toBe(held.version);
    for (const [i, org] of base.entries()) await evaluateNewModel(members[i]!.sdk, org);
    expect((await trainToTheEnd(owner, token, federationId, members)).length).toBe(1);
    const added = federatedKMeans.fromModelFile(await latestFile(owner, token, federationId));
    expect(added.config.models).toContain(NEW_MODEL.id);
    expect(added.phase).toBe("done");
    expect((await members[1]!.sdk.sync()).changed).toBe(true);
    const decision = await members[1]!.sdk.route(base[1]!.benchmark.prompts[0]!);
    const predicted = decision.predictions.find((p) => p.model === NEW_MODEL.id)!;
    expect(predicted.eligible).toBe(true);
    expect(predicted.quality).toBeGreaterThan(0);

    // Five organisations join: they cluster their own data (one cluster, half the router's
    // two), their cluster is appended and one pass adds their statistics.
    const joining = await enrolJoining(owner, token, federationId, orgs.slice(5));
    await owner.request<Federation>("POST", `/v1/federations/${federationId}/growth`, token, {
      kind: "join-clients",
    });
    const cohort = joining.map((j) => j.clientId);
    const rounds = await trainToTheEnd(owner, token, federationId, [...members, ...joining], cohort);
    for (const round of rounds) expect([...round.cohort].sort()).toEqual([...cohort].sort());
    const joined = federatedKMeans.fromModelFile(await latestFile(owner, token, federationId));
    expect(joined.phase).toBe("done");
    expect(joined.size).toBe(added.size + 1);
    const d = config.embedder.dimension;
    expect([...joined.centroids.subarray(0, added.size * d)]).toEqual([...added.centroids]);
    expect((await members[0]!.sdk.sync()).changed).toBe(true);
    expect((await members[0]!.sdk.route(base[0]!.benchmark.prompts[1]!)).version).toBe(
      (await members[0]!.sdk.sync()).version,
    );
  }, 180_000);
});
