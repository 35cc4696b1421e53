// participate() against a scripted edge: finding the round, the messages it sends, the fault drill,
// aborted rounds, rounds that move on, timeouts and aborts. The full protocol against the real edge
// is the end-to-end test's (test/node/e2e).
import { beforeAll, describe, expect, it } from "vitest";
import { createClient, type FedrouterClient, type ProgressEvent } from "../../../client-sdk/src/index.ts";
import { federatedKMeans } from "../../../core/kmeans/federated.ts";
import {
  CLIENT,
  EDGE,
  FakeEdge,
  FEDERATION,
  type Fixture,
  fixture,
  kmeansFile,
  roundSummary,
  TOKEN,
  untrainedKMeansFile,
} from "./fake-edge.ts";

let data: Fixture;
beforeAll(async () => {
  data = await fixture();
});

const OTHER = "cli_00112233445566cc";

async function setUp(cohort = [CLIENT, OTHER]) {
  const edge = new FakeEdge();
  const file = untrainedKMeansFile(data);
  await edge.publish(file);
  const length = federatedKMeans.contributionLength(federatedKMeans.fromModelFile(file));
  edge.round = roundSummary(1, 0, length, cohort);
  const client = createClient({
    edgeUrl: EDGE,
    federationId: FEDERATION,
    token: TOKEN,
    fetch: edge.fetch,
    pollIntervalMs: 5,
    retry: { attempts: 1 },
  });
  const queries = data.benchmark.prompts.slice(0, 12);
  for (const [q, query] of queries.entries())
    await client.record({
      query,
      model: data.benchmark.models[q % 3]!,
      quality: q % 2,
      cost: 0.001 * (q + 1),
    });
  return { edge, client, queries };
}

const failure = (client: FedrouterClient, options: Parameters<FedrouterClient["participate"]>[0]) =>
  client.participate(options).then(
    () => undefined,
    (e: unknown) => e,
  );

describe("participate", () => {
  it("trains, advertises its keys and goes silent on the fault drill, sending no query text", async () => {
    const { edge, client, queries } = await setUp();
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
    const advertised = edge.requests.filter((r) => r.path.endsWith("/rounds/1/advertise-keys"));
    expect(advertised).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(advertised[0]!.body))).toMatchObject({
      type: "advertise_keys",
      clientId: CLIENT,
      roundId: `${FEDERATION}/1`,
    });
    const sent = edge.requests.map((r) => (r.body ? new TextDecoder().decode(r.body) : "")).join("\n");
    for (const query of queries) expect(sent).not.toContain(query);
  });

  it("fails with the round code when the round is aborted", async () => {
    const { edge, client } = await setUp();
    edge.message = (summary) => ({
      type: "round_aborted",
      stage: "aborted",
      roundId: summary.secureAggregation.roundId,
      clientId: CLIENT,
      code: "too_few_survivors",
      message: "2 of 3 needed",
    });
    const error = await failure(client, {});
    expect(error).toMatchObject({ code: "round" });
    expect((error as Error).message).toContain("too_few_survivors");
  });

  it("fails when the round moved past the stage this client waits for", async () => {
    const { edge, client } = await setUp();
    edge.message = (summary) => ({
      type: "waiting",
      stage: "masked_input",
      roundId: summary.secureAggregation.roundId,
      clientId: CLIENT,
    });
    expect(await failure(client, {})).toMatchObject({ code: "round" });
  });

  it("fails at once for a wanted round that does not hold this client", async () => {
    const { client } = await setUp([OTHER, "cli_00112233445566dd"]);
    expect(await failure(client, { round: 1 })).toMatchObject({ code: "round" });
  });

  it("gives up with timeout while the round never gets to the next stage", async () => {
    const { client } = await setUp();
    const started = Date.now();
    expect(await failure(client, { timeoutMs: 300 })).toMatchObject({ code: "timeout" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops with aborted when the caller's signal fires", async () => {
    const { edge, client } = await setUp();
    edge.round = null;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect(await failure(client, { signal: controller.signal })).toMatchObject({ code: "aborted" });
  });

  it("says training has finished when no round runs and the latest model is final", async () => {
    const { edge, client } = await setUp();
    edge.round = null;
    await edge.publish(await kmeansFile(data), 4);
    expect(await failure(client, {})).toMatchObject({ code: "round" });
  });
});
