import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { modelKey } from "../../../core/wire/models.ts";
import type { Federation } from "../../../durable-objects/federation.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus } from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { latestModel, passDeadline, roundStub, roundSummary, runRound } from "../support/rounds.ts";

/** A client's first-round contribution, from a few evaluations seeded by its id. */
const contribution = (id: string) => {
  const random = seededRandom(id.length + id.charCodeAt(5));
  const set = seededEvaluationSet(random, evaluationShape(2));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup()), set, random) as Float64Array;
};

describe("serving models from the edge", () => {
  it("serves the latest pointer with an ETag and answers 304 to a client that has it", async () => {
    // One pass: the round's version is final, so clients are pointed to it.
    const handle = await createFederation(await createTenant(), 5, {
      router: { kind: "mean", hyperparameters: { rounds: 1 } },
    });
    const token = handle.clients[0]!.token;
    const path = `/v1/federations/${handle.federationId}/models/latest`;
    const first = await call("GET", path, { token });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(0);
    const etag = first.headers.get("etag");
    expect(etag).toBe(`"${first.body.sha256}"`);
    const unchanged = await call("GET", path, { token, headers: { "if-none-match": etag! } });
    expect(unchanged.status).toBe(304);
    await runRound(handle, contribution);
    const changed = await call("GET", path, { token, headers: { "if-none-match": etag! } });
    expect(changed.status).toBe(200);
    expect(changed.body.version).toBe(1);
  });

  it("serves a version's immutable bytes with long-lived cache headers and counts them as served", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const { pointer, bytes } = await latestModel(handle, handle.clients[1]!.token);
    const reply = await call("GET", pointer.url, { token: handle.clients[1]!.token });
    expect(reply.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    expect(reply.headers.get("content-type")).toBe("application/octet-stream");
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    expect(Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")).toBe(pointer.sha256);
    const missing = await call("GET", `/v1/federations/${handle.federationId}/models/1`, {
      token: handle.ownerToken,
    });
    expect(missing.status).toBe(404);
    const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usage.modelsServed).toBe(2);
  });

  it("counts a version as served only when its bytes are sent, not when a client revalidates it (304)", async () => {
    const handle = await createFederation(await createTenant(), 4);
    const token = handle.clients[0]!.token;
    const path = `/v1/federations/${handle.federationId}/models/0`;
    const first = await call("GET", path, { token });
    expect(first.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const again = await call("GET", path, {
        token,
        headers: { "if-none-match": first.headers.get("etag")! },
      });
      expect(again.status).toBe(304);
      expect(again.headers.get("etag")).toBe(first.headers.get("etag"));
    }
    const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usage.modelsServed).toBe(1);
  });

  it("keeps serving the previous model when publishing fails between the KV write and the pointer move", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const federation = env.FEDERATIONS.getByName(handle.federationId);
    // Break the pointer move of this instance only: the KV write before it still happens.
    await runInDurableObject(federation, (instance: Federation) => {
      Object.assign(instance, {
        movePointer: () => {
          throw new Error("storage unavailable");
        },
      });
    });
    const run = await runRound(handle, contribution);
    expect(run.summary.outcome).toBeNull();
    expect((await latestModel(handle)).pointer.version).toBe(0);
    expect(await env.MODELS.get(modelKey(handle.federationId, 1))).not.toBeNull();
    const notYet = await call("GET", `/v1/federations/${handle.federationId}/models/1`, {
      token: handle.ownerToken,
    });
    expect(notYet.status).toBe(404);
    // A fresh Federation instance works again; the Round retries finishing from its alarm.
    await evictDurableObject(federation);
    await evictDurableObject(roundStub(handle.federationId, 1));
    await passDeadline(handle.federationId, 1);
    expect((await roundSummary(handle, 1)).outcome).toEqual({ kind: "published", version: 1 });
    const { pointer, bytes } = await latestModel(handle);
    expect(pointer.version).toBe(1);
    const stored = new Uint8Array((await env.MODELS.get(modelKey(handle.federationId, 1), "arrayBuffer"))!);
    expect(Array.from(bytes)).toEqual(Array.from(stored));
  });

  it("records clients' validation AUC per version for the dashboard", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const base = `/v1/federations/${handle.federationId}/models/0/evaluations`;
    await expectStatus(200, "POST", base, {
      token: handle.clients[0]!.token,
      json: { auc: 0.6, examples: 100 },
    });
    const mean = await expectStatus(200, "POST", base, {
      token: handle.clients[1]!.token,
      json: { auc: 0.8, examples: 300 },
    });
    expect(mean).toEqual({ version: 0, meanAuc: 0.75, reports: 2, examples: 400 });
    const future = await call("POST", `/v1/federations/${handle.federationId}/models/5/evaluations`, {
      token: handle.clients[0]!.token,
      json: { auc: 0.5, examples: 1 },
    });
    expect(future.status).toBe(404);
    const dashboard = await expectStatus(200, "GET", "/v1/tenant/dashboard", { token: handle.ownerToken });
    expect(dashboard.federations[0].evaluations).toEqual([mean]);
  });
});
