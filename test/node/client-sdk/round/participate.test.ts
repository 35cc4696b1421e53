// participate() against the real edge: finding the round, the messages it sends, the fault drill,
// aborted rounds, rounds that move on (scripted: support/edge-faults.ts), timeouts and aborts. Full
// rounds run in the other SDK tests' training and in the end-to-end test's (test/node/e2e).
import { beforeAll, describe, expect, it } from "vitest";
import type { FedrouterClient, ProgressEvent } from "../../../../client-sdk/src/index.ts";
import type { RoundSummary } from "../../../../core/wire/rounds.ts";
import {
  type EdgeFederation,
  type FederationOptions,
  federationOnEdge,
  SMALL_KMEANS,
  trainedFederation,
} from "../support/edge.ts";
import { EdgeFaults, withFields } from "../support/edge-faults.ts";
import { fixture } from "../support/fixture.ts";

const data = fixture();

interface SetUp extends Partial<FederationOptions> {
  /** Open round 1 (default true), its cohort every client or these enrolled ones. */
  open?: boolean;
  cohort?: number[];
}

/**
 * A K-means federation (version 0: its initial state) and its first enrolled client, holding twelve
 * evaluations, faults scriptable in front of the edge; round 1 open unless said otherwise.
 */
async function setUp(options: SetUp = {}) {
  const { open = true, cohort, ...federationOptions } = options;
  const federation = await federationOnEdge(data, { ...SMALL_KMEANS, ...federationOptions });
  const faults = new EdgeFaults();
  const { client, log } = federation.client(0, {
    pollIntervalMs: 5,
    // Short holds: the scripted rounds below never move on, and each wait would last the whole hold.
    longPollMs: 200,
    retry: { attempts: 1 },
    fetch: faults.fetch,
  });
  const queries = data.benchmark.prompts.slice(0, 12);
  for (const [q, query] of queries.entries())
    await client.record({
      query,
      model: data.benchmark.models[q % 3]!,
      quality: q % 2,
      cost: 0.001 * (q + 1),
    });
  let round: RoundSummary | undefined;
  if (open) round = await federation.openRound(cohort?.map((i) => federation.enrolled[i]!.clientId));
  return { federation, faults, client, log, queries, round };
}

const failure = (client: FedrouterClient, options: Parameters<FedrouterClient["participate"]>[0]) =>
  client.participate(options).then(
    () => undefined,
    (e: unknown) => e,
  );

describe("participate", () => {
  it("trains, advertises its keys and goes silent on the fault drill, sending no query text", async () => {
    const { client, log, queries, round } = await setUp();
    const events: ProgressEvent[] = [];
    const result = await client.participate({
      stopAfter: "advertise_keys",
      onProgress: (e) => events.push(e),
    });
    expect(result).toMatchObject({
      round: 1,
      modelVersion: 0,
      stages: ["advertise_keys"],
      stoppedAfter: "advertise_keys",
      examples: 12,
      skipped: 0,
      clipped: 0,
    });
    expect(events.map((e) => e.stage)).toEqual(["waiting_for_round", "model", "training", "advertise_keys"]);
    const advertised = log.requests.filter((r) => r.path.endsWith("/rounds/1/advertise-keys"));
    expect(advertised).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(advertised[0]!.body))).toMatchObject({
      type: "advertise_keys",
      clientId: client.clientId,
      roundId: round!.secureAggregation.roundId,
    });
    const sent = log.bodies();
    for (const query of queries) expect(sent).not.toContain(query);
  });

  it("fails with the round code when the round is aborted", async () => {
    // The other clients never advertise: at the one-second deadline too few survive.
    const { client } = await setUp({ deadlines: { advertiseKeys: 1 } });
    const error = await failure(client, {});
    expect(error).toMatchObject({ code: "round" });
    expect((error as Error).message).toContain("too_few_survivors");
  });

  it("fails when the round moved past the stage this client waits for", async () => {
    const { client, faults } = await setUp();
    faults.rewrite(/\/rounds\/1\/message$/, (real) =>
      withFields(real, { type: "waiting", stage: "masked_input" }),
    );
    const error = await failure(client, {});
    expect(error).toMatchObject({ code: "round" });
    expect((error as Error).message).toContain("moved on to masked_input");
  });

  it("fails at once for a wanted round that does not hold this client", async () => {
    const { client } = await setUp({ clients: 6, cohortSize: 5, cohort: [1, 2, 3, 4, 5] });
    const error = await failure(client, { round: 1 });
    expect(error).toMatchObject({ code: "round" });
    expect((error as Error).message).toContain("not in the cohort");
  });

  it("gives up with timeout while the round never gets to the next stage", async () => {
    const { client } = await setUp();
    const started = Date.now();
    expect(await failure(client, { timeoutMs: 300 })).toMatchObject({ code: "timeout" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops with aborted when the caller's signal fires", async () => {
    const { client } = await setUp({ open: false });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await failure(client, { signal: controller.signal })).toMatchObject({ code: "aborted" });
  });

  // One federation trained to the end for both tests (in a hook: a whole training under CI's load
  // can outlast one test's timeout). The second grows the router, so the order matters.
  describe("after a finished training", () => {
    let federation: EdgeFederation;
    beforeAll(async () => {
      federation = await trainedFederation(data, SMALL_KMEANS);
    });

    it("says training has finished when no round runs and the latest model is final", async () => {
      const { client } = federation.client(0, { pollIntervalMs: 5, retry: { attempts: 1 } });
      const error = await failure(client, {});
      expect(error).toMatchObject({ code: "round" });
      expect((error as Error).message).toContain("training has finished");
    });

    it("keeps waiting for a round while a grown router learns, though the version it routes with is final", async () => {
      await federation.addModels(["new-a"]);
      const { client } = federation.client(0, { pollIntervalMs: 5, retry: { attempts: 1 } });
      expect(await failure(client, { timeoutMs: 300 })).toMatchObject({ code: "timeout" });
      expect(client.model?.version).toBe((await federation.latest()).version - 1);
    });
  });
});
