// sync(): ETag-aware fetching, signature and SHA-256 verification, and the previous model kept in
// service when a fetch fails or the latest version cannot route yet, against the real edge (with
// faults scripted in front of it where the edge shows none on cue: support/edge-faults.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { FedRouterError } from "../../../../client-sdk/src/index.ts";
import { modelSigner } from "../../../../core/model-signature.ts";
import { sha256Hex, toHex } from "../../../../core/sha256.ts";
import {
  type EdgeFederation,
  federationOnEdge,
  SMALL_KMEANS,
  SMALL_MLP,
  trainedFederation,
} from "../support/edge.ts";
import { EdgeFaults, replacedBy, tampered, withFields } from "../support/edge-faults.ts";
import { fixture } from "../support/fixture.ts";

const data = fixture();
/** A trained K-means federation that the tests below only read from. */
let trained: EdgeFederation;
beforeAll(async () => {
  trained = await trainedFederation(data, SMALL_KMEANS);
});

const noRetryDelay = { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 };

async function failure(promise: Promise<unknown>): Promise<FedRouterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FedRouterError);
  return error as FedRouterError;
}

describe("sync", () => {
  it("downloads the latest version once, then asks with If-None-Match and gets 304", async () => {
    const latest = await trained.latest();
    const { client: c, log } = trained.client(0, { retry: noRetryDelay });
    expect(c.model).toBeUndefined();
    expect(await c.sync()).toEqual({ version: latest.version, changed: true });
    expect(c.model).toMatchObject({
      version: latest.version,
      kind: "kmeans",
      models: data.benchmark.models,
      sha256: latest.sha256,
    });
    expect(await c.sync()).toEqual({ version: latest.version, changed: false });
    const asked = log.requests.filter((r) => r.path.endsWith("/models/latest"));
    expect(asked[0]!.headers.get("if-none-match")).toBeNull();
    expect(asked[1]!.headers.get("if-none-match")).toBe(`"${latest.sha256}"`);
    expect(asked[1]!.status).toBe(304);
    expect(log.count("GET", /\/models\/\d+$/)).toBe(1);
  });

  it("replaces the model when a final version is published, never with one mid-training", async () => {
    const federation = await federationOnEdge(data, SMALL_MLP);
    const { client: c } = federation.client(0, { retry: noRetryDelay });
    expect(await c.sync()).toEqual({ version: 0, changed: true });
    // Round 1 (the MLP's statistics pass) publishes version 1, which only the owner may read.
    const trainers = await federation.trainers(data);
    await federation.train(trainers, 1);
    expect((await federation.latest()).version).toBe(1);
    expect(await c.sync()).toEqual({ version: 0, changed: false });
    const rounds = 1 + (await federation.train(trainers));
    expect(await c.sync()).toEqual({ version: rounds, changed: true });
    expect(c.model).toMatchObject({ version: rounds, kind: "mlp", round: rounds });
  });

  it("keeps routing with the held version while the latest cannot route yet", async () => {
    const federation = await federationOnEdge(data, SMALL_KMEANS);
    const trainers = await federation.trainers(data);
    await federation.train(trainers);
    const { client: c, log } = federation.client(0, { retry: noRetryDelay });
    const { version: held } = await c.sync();
    // A K-means router learning models just added to it cannot route until its statistics pass.
    await federation.addModels(["new-a"]);
    expect(await c.sync()).toEqual({ version: held, changed: false, pending: held + 1 });
    expect((await c.route("explain how to sort a list")).version).toBe(held);
    // Asked again, the pending version is not downloaded twice.
    const downloads = log.count("GET", /\/models\/\d+$/);
    expect(await c.sync()).toEqual({ version: held, changed: false, pending: held + 1 });
    expect(log.count("GET", /\/models\/\d+$/)).toBe(downloads);
    expect(await federation.train(trainers)).toBe(1);
    expect(await c.sync()).toEqual({ version: held + 2, changed: true });
    // A client holding nothing takes the newest routable version among the recent ones.
    const fresh = federation.client(1, { retry: noRetryDelay }).client;
    await federation.addModels(["new-b"]);
    expect(await fresh.sync()).toEqual({ version: held + 2, changed: true, pending: held + 3 });
    expect((await fresh.route("explain how to sort a list")).version).toBe(held + 2);
    // With no routable version at all (a federation in its first training), it takes the latest it
    // may read: the initial model (the versions of the first rounds are the owner's).
    const first = await federationOnEdge(data, SMALL_KMEANS);
    await first.train(await first.trainers(data), 1);
    expect(await first.client(0, { retry: noRetryDelay }).client.sync()).toEqual({
      version: 0,
      changed: true,
    });
  });

  it("refuses bytes whose SHA-256 differs from the edge's and keeps routing with the previous version", async () => {
    const federation = await federationOnEdge(data, SMALL_KMEANS);
    const trainers = await federation.trainers(data);
    await federation.train(trainers);
    const faults = new EdgeFaults();
    const { client: c } = federation.client(0, { retry: noRetryDelay, fetch: faults.fetch });
    const { version: held } = await c.sync();
    // A model added and learnt: the grown version, then the next final one.
    await federation.addModels(["new-a"]);
    await federation.train(trainers);
    faults.rewrite(/\/models\/\d+$/, tampered);
    const error = await failure(c.sync());
    expect(error.code).toBe("integrity");
    expect(c.model?.version).toBe(held);
    expect((await c.route("explain how to sort a list")).version).toBe(held);
    faults.heal();
    expect(await c.sync()).toEqual({ version: held + 2, changed: true });
  });

  it("refuses a version whose signature does not verify and keeps routing with the held version", async () => {
    // A newer version clients may read: the trained router grown by a model (no round made it).
    const federation = await trainedFederation(data, SMALL_KMEANS);
    const faults = new EdgeFaults();
    const { client: c, log } = federation.client(0, { retry: noRetryDelay, fetch: faults.fetch });
    const { version: held } = await c.sync();
    await federation.addModels(["new-a"]);
    const real = await federation.latest();
    // One character of the signature changed: a signature of nothing the edge signed.
    const flipped = `${real.signature.startsWith("A") ? "B" : "A"}${real.signature.slice(1)}`;
    faults.rewrite(/\/models\/latest$/, (answer) => withFields(answer, { signature: flipped }));
    const downloads = log.count("GET", /\/models\/\d+$/);
    const error = await failure(c.sync());
    expect(error.code).toBe("integrity");
    expect(error.message).toContain("signature");
    // Refused before its bytes were fetched.
    expect(log.count("GET", /\/models\/\d+$/)).toBe(downloads);
    expect(c.model?.version).toBe(held);
    expect((await c.route("explain how to sort a list")).version).toBe(held);
    faults.heal();
    // Signed as the edge signs: fetched, and held back only because the grown router cannot route yet.
    expect(await c.sync()).toEqual({ version: held, changed: false, pending: held + 1 });
  });

  it("refuses other bytes sent with their own SHA-256, which the edge's signature does not cover", async () => {
    const faults = new EdgeFaults();
    const garbage = new TextEncoder().encode("not a model file");
    const sha256 = await sha256Hex(garbage);
    faults.rewrite(/\/models\/latest$/, (real) => withFields(real, { sha256, bytes: garbage.length }));
    faults.rewrite(/\/models\/\d+$/, replacedBy(garbage));
    const error = await failure(
      trained.client(0, { retry: noRetryDelay, fetch: faults.fetch }).client.sync(),
    );
    expect(error.code).toBe("integrity");
    expect(error.message).toContain("signature");
  });

  it("refuses a version signed for another federation, and models signed by another key", async () => {
    const faults = new EdgeFaults();
    const other = await federationOnEdge(data, SMALL_KMEANS);
    // The other federation's pointer, validly signed by the same edge, in place of this one's.
    const foreign = await other.latest();
    faults.rewrite(/\/models\/latest$/, (real) =>
      withFields(real, { ...foreign, federationId: trained.federationId }),
    );
    const replayed = trained.client(0, { retry: noRetryDelay, fetch: faults.fetch }).client;
    expect((await failure(replayed.sync())).code).toBe("integrity");
    expect(replayed.model).toBeUndefined();
    const stranger = await modelSigner(toHex(crypto.getRandomValues(new Uint8Array(32))));
    const { client: c } = trained.client(0, { retry: noRetryDelay, modelPublicKey: stranger.publicKey });
    const error = await failure(c.sync());
    expect(error.code).toBe("integrity");
    expect(c.model).toBeUndefined();
  });

  it("keeps the previous model when the edge cannot be reached, after retrying", async () => {
    const faults = new EdgeFaults();
    const { client: c, log } = trained.client(0, { retry: noRetryDelay, fetch: faults.fetch });
    const { version } = await c.sync();
    const before = log.requests.length;
    faults.interruptions.push(
      new TypeError("connection refused"),
      new TypeError("reset"),
      new TypeError("down"),
    );
    const error = await failure(c.sync());
    expect(error.code).toBe("network");
    expect(log.requests.length - before).toBe(3);
    expect((await c.route("write a poem")).version).toBe(version);
  });

  it("retries 5xx answers and never 4xx ones", async () => {
    const federation = await federationOnEdge(data, SMALL_KMEANS);
    const faults = new EdgeFaults();
    const { client: c, log } = federation.client(0, { retry: noRetryDelay, fetch: faults.fetch });
    faults.interruptions.push(new Response("{}", { status: 503 }));
    expect(await c.sync()).toEqual({ version: 0, changed: true });
    const before = log.requests.length;
    // The owner revokes this client: the edge answers its next request 401.
    await federation.revoke(0);
    const error = await failure(c.sync());
    expect(error).toMatchObject({ code: "http", status: 401, serverCode: "unauthorized" });
    expect(log.requests.length - before).toBe(1);
  });

  it("refuses a model file that does not decode, even with a matching SHA-256", async () => {
    // A client without the model public key checks the SHA-256 only, so the file gets as far as decoding.
    const faults = new EdgeFaults();
    const garbage = new TextEncoder().encode("not a model file");
    const sha256 = await sha256Hex(garbage);
    faults.rewrite(/\/models\/latest$/, (real) => withFields(real, { sha256, bytes: garbage.length }));
    faults.rewrite(/\/models\/\d+$/, replacedBy(garbage));
    const error = await failure(
      trained
        .client(0, { retry: noRetryDelay, fetch: faults.fetch, modelPublicKey: undefined })
        .client.sync(),
    );
    expect(error.code).toBe("integrity");
    // Not the SHA-256 check: the bytes matched it and then did not decode.
    expect(error.message).toContain("does not decode");
  });
});
