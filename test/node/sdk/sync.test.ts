// sync(): ETag-aware fetching, SHA-256 verification, and the previous model kept in service when
// a fetch fails, against the fake edge.
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, FedRouterError } from "../../../client-sdk/src/index.ts";
import {
  EDGE,
  FakeEdge,
  FEDERATION,
  type Fixture,
  fixture,
  kmeansFile,
  mlpFile,
  TOKEN,
  untrainedKMeansFile,
} from "./fake-edge.ts";

let data: Fixture;
beforeAll(async () => {
  data = await fixture();
});

const noRetryDelay = { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 };

function client(edge: FakeEdge) {
  return createClient({
    edgeUrl: EDGE,
    federationId: FEDERATION,
    token: TOKEN,
    fetch: edge.fetch,
    retry: noRetryDelay,
  });
}

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
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data));
    const c = client(edge);
    expect(c.model).toBeUndefined();
    expect(await c.sync()).toEqual({ version: 0, changed: true });
    expect(c.model).toMatchObject({
      version: 0,
      kind: "kmeans",
      models: data.benchmark.models,
      sha256: edge.latest!.sha256,
    });
    expect(await c.sync()).toEqual({ version: 0, changed: false });
    const latest = edge.requests.filter((r) => r.path.endsWith("/models/latest"));
    expect(latest[0]!.headers.get("if-none-match")).toBeNull();
    expect(latest[1]!.headers.get("if-none-match")).toBe(`"${edge.latest!.sha256}"`);
    expect(edge.count("GET", /\/models\/\d+$/)).toBe(1);
  });

  it("replaces the model when a new version is published", async () => {
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data, 2));
    const c = client(edge);
    await c.sync();
    await edge.publish(await mlpFile(data), 1);
    expect(await c.sync()).toEqual({ version: 1, changed: true });
    expect(c.model).toMatchObject({ version: 1, kind: "mlp", round: 1 });
  });

  it("keeps routing with the held version while the latest cannot route yet", async () => {
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data, 2));
    const c = client(edge);
    await c.sync();
    // A K-means router between passes (as while it learns models just added) cannot route.
    await edge.publish(untrainedKMeansFile(data), 1);
    expect(await c.sync()).toEqual({ version: 0, changed: false, pending: 1 });
    expect((await c.route("explain how to sort a list")).version).toBe(0);
    // Asked again, the pending version is not downloaded twice.
    const downloads = edge.count("GET", /\/models\/\d+$/);
    expect(await c.sync()).toEqual({ version: 0, changed: false, pending: 1 });
    expect(edge.count("GET", /\/models\/\d+$/)).toBe(downloads);
    await edge.publish(await kmeansFile(data, 3), 2);
    expect(await c.sync()).toEqual({ version: 2, changed: true });
    // A client holding nothing takes the newest routable version among the recent ones.
    const fresh = client(edge);
    await edge.publish(untrainedKMeansFile(data), 3);
    expect(await fresh.sync()).toEqual({ version: 2, changed: true, pending: 3 });
    expect((await fresh.route("explain how to sort a list")).version).toBe(2);
    // With no routable version at all (a federation in its first training), it takes the latest.
    const first = new FakeEdge();
    await first.publish(untrainedKMeansFile(data));
    await first.publish(untrainedKMeansFile(data), 1);
    expect(await client(first).sync()).toEqual({ version: 1, changed: true });
  });

  it("refuses bytes whose SHA-256 differs from the edge's and keeps routing with the previous version", async () => {
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data, 2));
    const c = client(edge);
    await c.sync();
    await edge.publish(await kmeansFile(data, 3));
    edge.tamper = true;
    const error = await failure(c.sync());
    expect(error.code).toBe("integrity");
    expect(c.model?.version).toBe(0);
    expect((await c.route("explain how to sort a list")).version).toBe(0);
    edge.tamper = false;
    expect(await c.sync()).toEqual({ version: 1, changed: true });
  });

  it("keeps the previous model when the edge cannot be reached, after retrying", async () => {
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data));
    const c = client(edge);
    await c.sync();
    const before = edge.requests.length;
    edge.interruptions.push(
      new TypeError("connection refused"),
      new TypeError("reset"),
      new TypeError("down"),
    );
    const error = await failure(c.sync());
    expect(error.code).toBe("network");
    expect(edge.requests.length - before).toBe(3);
    expect((await c.route("write a poem")).version).toBe(0);
  });

  it("retries 5xx answers and never 4xx ones", async () => {
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data));
    const c = client(edge);
    edge.interruptions.push(new Response("{}", { status: 503 }));
    expect(await c.sync()).toEqual({ version: 0, changed: true });
    const before = edge.requests.length;
    edge.interruptions.push(
      new Response(JSON.stringify({ error: { code: "unauthorized", message: "revoked" } }), { status: 401 }),
    );
    const error = await failure(c.sync());
    expect(error).toMatchObject({ code: "http", status: 401, serverCode: "unauthorized" });
    expect(edge.requests.length - before).toBe(1);
  });

  it("refuses a model file that does not decode, even with a matching SHA-256", async () => {
    const edge = new FakeEdge();
    await edge.publish(await kmeansFile(data));
    edge.versions[0]!.bytes = new TextEncoder().encode("not a model file");
    edge.versions[0]!.sha256 = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", edge.versions[0]!.bytes as BufferSource)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    const error = await failure(client(edge).sync());
    expect(error.code).toBe("integrity");
  });
});
