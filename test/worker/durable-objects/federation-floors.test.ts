// The platform's privacy floors at the edge: a federation is refused at creation, and a round at its
// opening, when its threshold is not a strict majority or its cohort or survivors could fall below
// the operator's minimums (5 and 5 in wrangler.toml); a round whose survivors fall below aborts.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import type { FederationConfig } from "../../../core/wire/federation.ts";
import type { Federation } from "../../../durable-objects/federation.ts";
import type { FederationStore } from "../../../durable-objects/federation-store.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import {
  call,
  createFederation,
  createTenant,
  type FederationHandle,
  federationConfig,
} from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { type DropPoint, roundSummary, runRound } from "../support/rounds.ts";

function openRound(handle: FederationHandle, cohort?: string[]) {
  return call("POST", `/v1/federations/${handle.federationId}/rounds`, {
    token: handle.ownerToken,
    ...(cohort ? { json: { cohort } } : {}),
  });
}

/**
 * Rewrites a stored federation's configuration, as a federation created before the floors existed
 * (or under lower ones) would hold it: the floors must still hold when its rounds open.
 */
async function storeConfig(handle: FederationHandle, change: (c: FederationConfig) => FederationConfig) {
  await runInDurableObject(env.FEDERATIONS.getByName(handle.federationId), (instance: Federation) => {
    const store = (instance as unknown as { store: FederationStore }).store;
    const record = store.created();
    store.saveRecord({ ...record, config: change(record.config) });
  });
}

describe("creating a federation below the floors", () => {
  const refusals: [string, ReturnType<typeof federationConfig>, RegExp][] = [
    [
      "t = 1 with k = 6",
      federationConfig({ secureAggregation: { threshold: 1, neighbourDegree: 6, curve: "X25519" } }),
      /threshold 1 is not a strict majority of a neighbourhood of 7 clients.*at least 4/,
    ],
    [
      "t = k / 2",
      federationConfig({ secureAggregation: { threshold: 3, neighbourDegree: 6, curve: "X25519" } }),
      /threshold 3 is not a strict majority/,
    ],
    [
      "t = n / 2 on the complete graph of the cohort",
      federationConfig({
        roundPolicy: { ...federationConfig().roundPolicy, cohortSize: 8 },
        secureAggregation: { threshold: 4, neighbourDegree: "complete", curve: "X25519" },
      }),
      /neighbourhood of 8 clients.*at least 5/,
    ],
    [
      "a cohort below the platform's minimum",
      federationConfig({
        roundPolicy: { ...federationConfig().roundPolicy, cohortSize: 4, minParticipants: 3 },
        secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
      }),
      /cohortSize 4 is below the platform's minimum cohort of 5/,
    ],
    [
      "minParticipants below the platform's minimum of survivors",
      federationConfig({ roundPolicy: { ...federationConfig().roundPolicy, minParticipants: 4 } }),
      /minParticipants 4 is below the platform's minimum of 5 survivors/,
    ],
  ];
  for (const [what, config, reason] of refusals)
    it(`refuses ${what} with 422 invalid_config`, async () => {
      const tenant = await createTenant();
      const reply = await call("POST", "/v1/federations", { token: tenant.ownerToken, json: config });
      expect({ status: reply.status, code: reply.body.error?.code }).toEqual({
        status: 422,
        code: "invalid_config",
      });
      expect(reply.body.error.message).toMatch(reason);
      const listed = await call("GET", "/v1/federations", { token: tenant.ownerToken });
      expect(listed.body).toEqual([]);
    });

  it("accepts the smallest configuration at the floors: 5 of 5, t = 3 on the complete graph", async () => {
    const tenant = await createTenant();
    const config = federationConfig({
      roundPolicy: { ...federationConfig().roundPolicy, cohortSize: 5, minParticipants: 5 },
      secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
    });
    const reply = await call("POST", "/v1/federations", { token: tenant.ownerToken, json: config });
    expect(reply.status).toBe(201);
  });
});

describe("opening a round below the floors", () => {
  it("refuses a stored federation with t = 1, k = 6, sampled or with an owner's cohort of 2, and opens nothing", async () => {
    const handle = await createFederation(await createTenant(), 6);
    await storeConfig(handle, (c) => ({
      ...c,
      roundPolicy: { ...c.roundPolicy, minParticipants: 2 },
      secureAggregation: { ...c.secureAggregation, threshold: 1 },
    }));
    for (const cohort of [undefined, handle.clients.slice(0, 2).map((c) => c.clientId)]) {
      const reply = await openRound(handle, cohort);
      expect({ status: reply.status, code: reply.body.error?.code }).toEqual({
        status: 422,
        code: "invalid_config",
      });
      expect(reply.body.error.message).toMatch(/not a strict majority/);
    }
    const current = await call("GET", `/v1/federations/${handle.federationId}/rounds/current`, {
      token: handle.ownerToken,
    });
    expect(current.status).toBe(404);
  });

  it("refuses an owner's cohort of 4 from a stored federation whose minParticipants is 2", async () => {
    const handle = await createFederation(await createTenant(), 6);
    await storeConfig(handle, (c) => ({
      ...c,
      roundPolicy: { ...c.roundPolicy, minParticipants: 2 },
      secureAggregation: { threshold: 3, neighbourDegree: 4, curve: "X25519" },
    }));
    const reply = await openRound(
      handle,
      handle.clients.slice(0, 4).map((c) => c.clientId),
    );
    expect({ status: reply.status, code: reply.body.error?.code }).toEqual({
      status: 422,
      code: "invalid_config",
    });
    expect(reply.body.error.message).toMatch(
      /minParticipants 2 is below the platform's minimum of 5 survivors/,
    );
  });

  it("asks for the minimum cohort of enrolled clients before sampling a round", async () => {
    const handle = await createFederation(await createTenant(), 4);
    const reply = await openRound(handle);
    expect({ status: reply.status, code: reply.body.error?.code }).toEqual({ status: 409, code: "conflict" });
    expect(reply.body.error.message).toMatch(/needs at least 5 enrolled clients; 4 are enrolled/);
  });

  it("samples at least the minimum cohort, whatever share of the clients the policy asks for", async () => {
    const handle = await createFederation(await createTenant(), 10, {
      roundPolicy: { ...federationConfig().roundPolicy, participationFraction: 0.2 },
    });
    const reply = await openRound(handle);
    expect(reply.status).toBe(201);
    expect(reply.body.cohort).toHaveLength(5);
    expect(reply.body.secureAggregation.maxClients).toBe(5);
  });
});

describe("a round whose survivors fall below the platform's minimum", () => {
  it("aborts as soon as fewer than 5 clients remain, before any masked input, saying so", async () => {
    // Five clients on the complete graph with t = 3: when one drops, each of the other four keeps
    // three neighbours, so the protocol alone would go on to sum four inputs.
    const handle = await createFederation(await createTenant(), 5, {
      roundPolicy: { ...federationConfig().roundPolicy, cohortSize: 5, minParticipants: 5 },
      secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
    });
    const contribution = (id: string) => {
      const random = seededRandom(id.charCodeAt(5));
      return meanAlgorithm.contribute(
        meanKind.initialState(kindSetup()),
        seededEvaluationSet(random, evaluationShape(2)),
        random,
      ) as Float64Array;
    };
    const drops = new Map<string, DropPoint>([[handle.clients[0]!.clientId, "advertise_keys"]]);
    const run = await runRound(handle, contribution, drops);
    expect(run.summary.stage).toBe("aborted");
    expect(run.summary.outcome).toEqual({
      kind: "aborted",
      code: "too_few_survivors",
      message: "only 4 clients shared keys; the platform's minimum is 5 survivors",
    });
    expect((await roundSummary(handle, run.summary.round)).participants.maskedInput).toBe(0);
  });
});
