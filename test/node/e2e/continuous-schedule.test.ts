// A federation that trains itself, against the edge under wrangler dev: created with a continuous
// schedule, then twenty SDK clients started with client.start() and no owner call after creation.
// The Federation's alarm opens every round of a small K-means training from the checked-in
// clients until the model is final; a restart of the dev server mid-training (same state folder
// and port) loses nothing; once the clients record enough new evaluations it trains again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient, type FedrouterClient } from "../../../client-sdk/src/index.ts";
import { majorityThreshold } from "../../../core/secagg/index.ts";
import type { Federation, FederationConfigInput } from "../../../core/wire/federation.ts";
import { freePort, type LocalEdge, startEdge } from "../../../operator/local-edge.ts";
import { EdgeClient } from "../../browser/edge-client.ts";
import { embedderInfo, fixture, recordRows } from "../client-sdk/support/fixture.ts";

const CLIENTS = 20;
const data = fixture(CLIENTS, 12 * CLIENTS);
const root = resolve(import.meta.dirname, "../../..");
const stateDir = mkdtempSync(join(tmpdir(), "fedrouter-schedule-"));
let edge: LocalEdge | undefined;
const clients: FedrouterClient[] = [];

afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()));
  await edge?.stop();
  rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

/** Polls `read` until `done` holds of its value (or fails after `timeoutMs`). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > end) throw new Error(`timed out; last seen ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("a continuous schedule over the dev server", () => {
  it("trains to a final version by itself, survives a restart, and trains again after new evaluations", async () => {
    const port = await freePort();
    edge = await startEdge({ root, stateDir, port });
    const config: FederationConfigInput = {
      name: "self-training",
      router: { kind: "kmeans", hyperparameters: { clusters: 2, lloydPasses: 1, powerPasses: 1 } },
      models: data.benchmark.models.map((id, j) => ({ id, inputPrice: 0.1 * (j + 1), outputPrice: 0.4 })),
      embedder: embedderInfo,
      roundPolicy: {
        cohortSize: CLIENTS,
        minParticipants: 15,
        participationFraction: 1,
        // Short: a round the restart broke aborts soon, and the schedule opens the next.
        deadlines: { advertiseKeys: 15, shareKeys: 15, maskedInput: 15, unmask: 15 },
      },
      secureAggregation: {
        threshold: majorityThreshold(CLIENTS - 1),
        neighbourDegree: "complete",
        curve: "X25519",
      },
      clipping: { min: -1000, max: 1000 },
      schedule: { kind: "continuous", minClients: CLIENTS, maxWaitSeconds: 5, retrainAfterEvaluations: 100 },
    };
    const owner = new EdgeClient(edge.url);
    const setUp = await owner.setUp(edge.operatorToken, CLIENTS, config);
    const view = () => owner.request<Federation>("GET", `/v1/federations/${setUp.federationId}`, setUp.owner);
    for (const [c, enrolled] of setUp.clients.entries()) {
      const client = createClient({
        edgeUrl: edge.url,
        federationId: setUp.federationId,
        token: enrolled.token,
        modelPublicKey: enrolled.modelPublicKey,
        pollIntervalMs: 50,
        retry: { attempts: 2 },
      });
      await recordRows(client, data, c);
      clients.push(client);
      client.start({ pollIntervalMs: 250, maxBackoffMs: 2_000 });
    }

    // Mid-training (two versions published), the dev server stops and starts again on its state.
    await until(view, (f) => f.latestVersion >= 2, 180_000);
    await edge.stop();
    edge = await startEdge({ root, stateDir, port });
    const trained = await until(view, (f) => f.training.trainings >= 1, 240_000);
    expect(trained.training.state).toBe("trained");
    const final = await owner.request<{ version: number }>(
      "GET",
      `/v1/federations/${setUp.federationId}/models/latest`,
      setUp.clients[0]!.token,
    );
    // A client reads only final versions (and those no round made): the pointer names the last one.
    expect(final.version).toBe(trained.latestVersion);

    // New evaluations: each client's count moves up a bucket (>= 100), and the loop checks in.
    for (const [c, client] of clients.entries())
      for (let k = 0; k < 2; k++) await recordRows(client, data, c);
    const again = await until(view, (f) => f.training.trainings >= 2, 240_000);
    expect(again.latestVersion).toBeGreaterThan(trained.latestVersion + 1);
  }, 600_000);
});
