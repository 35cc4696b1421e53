// Bad arguments throw a bad_argument FedRouterError at the call, synchronously and before any
// request to the real edge; record() keeps exactly what training reads.
import { beforeAll, describe, expect, it } from "vitest";
import {
  createClient,
  type EvaluationStore,
  FedRouterError,
  MemoryStore,
} from "../../../client-sdk/src/index.ts";
import { type EdgeFederation, federationOnEdge, SMALL_KMEANS } from "./support/edge.ts";
import { fixture } from "./support/fixture.ts";
import { RequestLog } from "./support/request-log.ts";

/** A federation with one enrolled client whose token the options below carry. */
let federation: EdgeFederation;
beforeAll(async () => {
  federation = await federationOnEdge(fixture(), SMALL_KMEANS);
});

/** Options for the enrolled client, with a fetch that logs any request sent to the edge. */
const base = () => {
  const log = new RequestLog();
  const { origin: edgeUrl } = federation.owner;
  const { federationId, enrolled } = federation;
  return { log, options: { edgeUrl, federationId, token: enrolled[0]!.token, fetch: log.fetch() } };
};

function badArgument(call: () => unknown): FedRouterError {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FedRouterError);
  expect((thrown as FedRouterError).code).toBe("bad_argument");
  return thrown as FedRouterError;
}

describe("createClient", () => {
  it("refuses each wrong option with a bad_argument error", () => {
    const { options } = base();
    const wrong: Record<string, unknown>[] = [
      { edgeUrl: "not a url" },
      { edgeUrl: "ftp://edge.test" },
      { edgeUrl: 8787 },
      { federationId: "fed_123" },
      { token: "frc.nonsense" },
      { token: `fro.ten_00112233445566778899aabbccddeeff.tok_001122334455.${"s".repeat(43)}` },
      { federationId: "fed_00112233445566778899aabbccddeeff" }, // the token names another federation
      { modelPublicKey: "not a key" },
      { modelPublicKey: federation.enrolled[0]!.modelPublicKey.slice(1) },
      { store: {} },
      { embedder: { id: "x", dimension: 0, embed: async () => [] } },
      { backend: "gpu" },
      { inference: "tensorflow" },
      { threads: 0 },
      { retry: { attempts: 0 } },
      { pollIntervalMs: -5 },
      { personaliser: {} },
      { colour: "blue" },
      // Privacy floors never go below the protocol's minimum: a sum of 2, a threshold of 1.
      { privacyFloors: { minSurvivors: 2 } },
      { privacyFloors: { minCohort: 2 } },
      { privacyFloors: { minThreshold: 1 } },
      { privacyFloors: { minCohort: 5.5 } },
      { privacyFloors: { minSurvivor: 9 } },
      { privacyFloors: 6 },
      { privacyBudget: { epsilon: 0, delta: 1e-5 } },
      { privacyBudget: { epsilon: 4, delta: 1 } },
      { privacyBudget: { epsilon: 4 } },
      { privacyBudget: { epsilon: 4, delta: 1e-5, noise: 2 } },
    ];
    for (const change of wrong) badArgument(() => createClient({ ...options, ...change } as never));
    badArgument(() => createClient(undefined as never));
  });

  it("fills in every default and reads the client id from the token", () => {
    const { options } = base();
    const client = createClient(options);
    expect(client.clientId).toBe(federation.enrolled[0]!.clientId);
    expect(client.federationId).toBe(federation.federationId);
    expect(client.store).toBeInstanceOf(MemoryStore);
  });

  it("accepts privacy floors raised above the SDK's, or lowered as far as the protocol's minimum", () => {
    const { options } = base();
    expect(() =>
      createClient({ ...options, privacyFloors: { minCohort: 8, minSurvivors: 6 } }),
    ).not.toThrow();
    expect(() =>
      createClient({ ...options, privacyFloors: { minThreshold: 2, minCohort: 3, minSurvivors: 3 } }),
    ).not.toThrow();
  });
});

describe("argument checks at the call", () => {
  it("throws synchronously and sends nothing", () => {
    const { log, options } = base();
    const client = createClient(options);
    badArgument(() => client.route(""));
    badArgument(() => client.route(42 as never));
    badArgument(() => client.route({ vector: [1, 2] } as never));
    badArgument(() => client.route({ vector: Float32Array.of(1, Number.NaN) }));
    badArgument(() => client.route("q", { lambda: -1 }));
    badArgument(() => client.route("q", { lambda: 1, maxCost: 1 }));
    badArgument(() => client.route("q", { maxCost: Number.POSITIVE_INFINITY }));
    badArgument(() => client.route("q", { allow: "a" as never }));
    badArgument(() => client.route("q", { mode: "local" as never }));
    badArgument(() => client.route("q", { lamda: 1 } as never));
    badArgument(() => client.predict([[1, 2]] as never));
    badArgument(() => client.embed("text" as never));
    badArgument(() => client.participate({ round: 0 }));
    badArgument(() => client.participate({ stopAfter: "unmask" as never }));
    badArgument(() => client.participate({ timeoutMs: 0 }));
    badArgument(() => client.participate({ onProgress: "yes" as never }));
    badArgument(() => client.participate({ signal: {} as never }));
    badArgument(() => client.participate({ rounds: 2 } as never));
    badArgument(() => client.reportEvaluation({ auc: 2, examples: 10 }));
    expect(log.requests).toEqual([]);
  });
});

describe("record", () => {
  const good = { query: "summarise this contract", model: "model-a", quality: 0.5, cost: 0.002 };

  it("stores a checked copy with its time", async () => {
    const store = new MemoryStore();
    const client = createClient({ ...base().options, store });
    const before = Date.now();
    await client.record(good);
    await client.record({ ...good, vector: [0.5, -0.5], at: 7 });
    const [first, second] = await store.all();
    expect(first).toMatchObject(good);
    expect(first!.at).toBeGreaterThanOrEqual(before);
    expect(second).toEqual({ ...good, vector: [0.5, -0.5], at: 7 });
  });

  it("refuses each malformed evaluation at the call", () => {
    const client = createClient(base().options);
    const wrong: Record<string, unknown>[] = [
      { query: "" },
      { query: "   " },
      { query: 5 },
      { query: "x".repeat(100_001) },
      { model: "" },
      { quality: 1.5 },
      { quality: -0.1 },
      { quality: Number.NaN },
      { cost: -1 },
      { cost: Number.POSITIVE_INFINITY },
      { at: "yesterday" },
      { vector: [] },
      { vector: [1, Number.NaN] },
      { answer: "the full text" },
    ];
    for (const change of wrong) badArgument(() => client.record({ ...good, ...change } as never));
  });

  it("reports a failing store with the store code", async () => {
    const broken: EvaluationStore = {
      add: async () => {
        throw new Error("disk full");
      },
      all: async () => [],
      count: async () => 0,
      clear: async () => {},
    };
    const client = createClient({ ...base().options, store: broken });
    await expect(client.record(good)).rejects.toMatchObject({ code: "store" });
  });
});
