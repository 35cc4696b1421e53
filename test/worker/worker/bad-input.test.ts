import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, OPERATOR } from "../support/api.ts";
import { evaluationShape } from "../support/federation-config.ts";
import { latestModel, plainSum, roundSummary, startRound } from "../support/rounds.ts";
import { SimClient } from "../support/sim-client.ts";

const ROUTES = [
  ["POST", "/v1/tenants"],
  ["GET", "/v1/tenant"],
  ["POST", "/v1/tenant/owner-tokens"],
  ["DELETE", "/v1/tenant/owner-tokens/{token}"],
  ["GET", "/v1/tenant/dashboard"],
  ["POST", "/v1/federations"],
  ["GET", "/v1/federations"],
  ["GET", "/v1/federations/{fed}"],
  ["GET", "/v1/federations/{fed}/usage"],
  ["POST", "/v1/federations/{fed}/clients"],
  ["GET", "/v1/federations/{fed}/clients"],
  ["DELETE", "/v1/federations/{fed}/clients/{client}"],
  ["POST", "/v1/federations/{fed}/rounds"],
  ["GET", "/v1/federations/{fed}/rounds"],
  ["GET", "/v1/federations/{fed}/rounds/current"],
  ["GET", "/v1/federations/{fed}/rounds/{round}"],
  ["GET", "/v1/federations/{fed}/rounds/{round}/message"],
  ["POST", "/v1/federations/{fed}/rounds/{round}/advertise-keys"],
  ["POST", "/v1/federations/{fed}/rounds/{round}/share-keys"],
  ["PUT", "/v1/federations/{fed}/rounds/{round}/masked-input"],
  ["POST", "/v1/federations/{fed}/rounds/{round}/consistency-check"],
  ["POST", "/v1/federations/{fed}/rounds/{round}/unmask"],
  ["GET", "/v1/federations/{fed}/models/latest"],
  ["GET", "/v1/federations/{fed}/models"],
  ["GET", "/v1/federations/{fed}/models/{version}"],
  ["POST", "/v1/federations/{fed}/models/{version}/evaluations"],
  ["PATCH", "/v1/federations/{fed}"],
] as const;

/** Every field name the API's bodies use, each given a value of the wrong type. */
const wrongTypedObject = fc.record({
  name: fc.oneof(fc.integer(), fc.constant(null)),
  label: fc.oneof(fc.integer(), fc.boolean()),
  quota: fc.string(),
  router: fc.integer(),
  auc: fc.oneof(fc.string(), fc.double({ min: 1.01, max: 1e9 })),
  examples: fc.oneof(fc.string(), fc.constant(-1)),
  type: fc.integer(),
  stage: fc.integer(),
  roundId: fc.integer(),
  clientId: fc.array(fc.integer()),
  shares: fc.string(),
  signature: fc.array(fc.string()),
  selfMaskShares: fc.integer(),
});

const OVERSIZED = "x".repeat(2 * 1024 * 1024 + 16);

describe("bad input", () => {
  it("answers 5,000 malformed requests without a 5xx, always in the envelope, and the round still completes", async () => {
    const victim = await createFederation(await createTenant("victim"), 5);
    const foreign = await createFederation(await createTenant("foreign"), 2);
    const revoked = await expectStatus(201, "POST", `/v1/federations/${victim.federationId}/clients`, {
      token: victim.ownerToken,
      json: {},
    });
    await expectStatus(200, "DELETE", `/v1/federations/${victim.federationId}/clients/${revoked.client.id}`, {
      token: victim.ownerToken,
    });
    // A round in progress, at masked_input: every client advertised and shared keys.
    const opened = await startRound(victim);
    const byId = new Map(victim.clients.map((c) => [c.clientId, c]));
    const clients = opened.cohort.map(
      (id) => new SimClient(victim.federationId, opened.round, byId.get(id)!),
    );
    for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
    const roundBefore = await roundSummary(victim, opened.round);

    const tokens = fc.constantFrom(
      undefined,
      "",
      "garbage",
      `fro.${victim.tenantId}.tok_000000000000.${"A".repeat(43)}`,
      `frc.${victim.federationId}.${victim.clients[0]!.clientId}.${"B".repeat(43)}`,
      revoked.token,
      foreign.ownerToken,
      foreign.clients[0]!.token,
      victim.ownerToken,
      victim.clients[0]!.token,
      OPERATOR,
    );
    const federationIds = fc.constantFrom(
      victim.federationId,
      foreign.federationId,
      "fed_0000000000000000",
      "fed_zz",
      "..",
      "%00",
    );
    const rounds = fc.constantFrom("1", "2", "0", "-1", "abc", "99999999999", "1.5");
    const bodies = fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .string({ maxLength: 60 })
          .filter((s) => !isJson(s))
          .map((text) => ({ kind: "text" as const, text })),
      },
      {
        weight: 3,
        arbitrary: fc
          .oneof(
            fc.integer(),
            fc.string(),
            fc.array(fc.anything(), { maxLength: 4 }),
            fc.constant(null),
            fc.boolean(),
          )
          .map((value) => ({ kind: "text" as const, text: JSON.stringify(value) })),
      },
      {
        weight: 3,
        arbitrary: wrongTypedObject.map((value) => ({ kind: "text" as const, text: JSON.stringify(value) })),
      },
      {
        weight: 2,
        // Wrong lengths for a masked vector: never the round's own length (what a real client sends).
        arbitrary: fc
          .integer({ min: 0, max: 80 })
          .filter((n) => n !== 4 * (opened.secureAggregation.vectorLength + 1))
          .map((n) => ({ kind: "bytes" as const, bytes: new Uint8Array(n).fill(7) })),
      },
      {
        weight: 2,
        // Well-formed protocol messages sent at the wrong stage (the round is at masked_input).
        arbitrary: fc.constantFrom("advertise", "unmask").map((which) => ({
          kind: "text" as const,
          text: JSON.stringify(
            which === "advertise"
              ? {
                  type: "advertise_keys",
                  stage: "advertise_keys",
                  roundId: opened.secureAggregation.roundId,
                  clientId: victim.clients[0]!.clientId,
                  encryptionPublicKey: "AAAA",
                  maskPublicKey: "BBBB",
                  signingPublicKey: "DDDD",
                  selfMaskCommitment: "CCCC",
                }
              : {
                  type: "unmask_response",
                  stage: "unmask",
                  roundId: opened.secureAggregation.roundId,
                  clientId: victim.clients[0]!.clientId,
                  selfMaskShares: [],
                  maskKeyShares: [],
                },
          ),
        })),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "text" as const, text: OVERSIZED }) },
    );
    const contentTypes = fc.constantFrom(
      "application/json",
      "application/octet-stream",
      "text/plain",
      undefined,
    );
    const request = fc.record({
      route: fc.constantFrom(...ROUTES),
      token: tokens,
      federationId: federationIds,
      round: rounds,
      version: fc.constantFrom("0", "1", "7", "-3", "x"),
      body: bodies,
      contentType: contentTypes,
    });

    let count = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = r.route[1]
          .replace("{fed}", r.federationId)
          .replace("{round}", r.round)
          .replace("{version}", r.version)
          // Unknown or foreign client ids only: revoking a real cohort member would be a valid request.
          .replace("{client}", r.version === "0" ? foreign.clients[1]!.clientId : "cli_0000000000000000")
          .replace("{token}", "tok_123456789abc");
        const headers: Record<string, string> = {};
        if (r.contentType) headers["content-type"] = r.contentType;
        const reply = await call(r.route[0], path, {
          token: r.token,
          headers,
          // Fetch refuses bodies on GET: those requests go without one.
          bytes:
            r.route[0] === "GET"
              ? undefined
              : r.body.kind === "bytes"
                ? r.body.bytes
                : new TextEncoder().encode(r.body.text),
        });
        count++;
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        expect(reply.status).toBeLessThan(500);
        if (reply.status >= 400)
          expect(reply.body).toMatchObject({
            error: { code: expect.any(String), message: expect.any(String) },
          });
      }),
      { numRuns: 5_000, seed: 20_251_122 },
    );
    expect(count).toBe(5_000);
    expect(statuses.size).toBeGreaterThan(5);

    // Nothing moved the round: it completes with exactly the model of the clients' plain sum.
    expect(await roundSummary(victim, opened.round)).toEqual(roundBefore);
    const global = meanAlgorithm.fromModelFile((await latestModel(victim)).file);
    const random = seededRandom(3);
    for (const [i, c] of clients.entries()) {
      const contribution = meanAlgorithm.contribute(
        global,
        seededEvaluationSet(random, evaluationShape(1)),
        random,
      ) as Float64Array;
      expect((await c.maskedInput(contribution, i)).status).toBe(200);
    }
    for (const c of clients) expect((await c.consistencyCheck()).status).toBe(200);
    for (const c of clients) expect((await c.unmask()).status).toBe(200);
    expect((await roundSummary(victim, opened.round)).outcome).toEqual({ kind: "published", version: 1 });
    const expected = meanAlgorithm.finalise(global, plainSum(clients, opened.secureAggregation.scale));
    expect(meanAlgorithm.fromModelFile((await latestModel(victim)).file)).toEqual(expected);
  }, 240_000);
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
