// participate() against a lying edge: the real edge runs the round, and a script in front of it
// (support/edge-faults.ts) changes what one client is told, as a malicious server would. The client
// refuses a round configuration below its floors and an unmask request that could expose an input or
// that fails the consistency check (without t valid signatures by its neighbours of the survivor set
// it signed), with the typed error `unsafe_round`, and sends nothing for it. The real worker never lies, so these
// answers have to be made between it and the client.
import { describe, expect, it } from "vitest";
import type { FedrouterClient, PrivacyFloors } from "../../../../client-sdk/src/index.ts";
import { FedRouterError } from "../../../../client-sdk/src/index.ts";
import type { UnmaskRequest } from "../../../../core/secagg/index.ts";
import type { ClientRound } from "../../../../core/wire/rounds.ts";
import { federationOnEdge, SMALL_KMEANS } from "../support/edge.ts";
import { EdgeFaults } from "../support/edge-faults.ts";
import { fixture, recordRows } from "../support/fixture.ts";
import type { RequestLog } from "../support/request-log.ts";

const data = fixture();

/** Requests that carry this client's part of the protocol: keys, shares, masked input, signature, unmask shares. */
const STAGE_ROUTE = /\/rounds\/\d+\/(advertise-keys|share-keys|masked-input|consistency-check|unmask)$/;
const sent = (log: RequestLog) => log.requests.filter((r) => r.method !== "GET" && STAGE_ROUTE.test(r.path));

/** A JSON answer of the edge replaced by `body` (its status kept). */
function answerJson(real: Response, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: real.status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * A federation of five clients (the minimum) and a round open for all of them; client 0 talks to the
 * edge through the script, with its own floors if given.
 */
async function setUp(privacyFloors?: Partial<PrivacyFloors>) {
  const federation = await federationOnEdge(data, SMALL_KMEANS);
  const faults = new EdgeFaults();
  const { client: victim, log } = federation.client(0, {
    fetch: faults.fetch,
    retry: { attempts: 1 },
    ...(privacyFloors ? { privacyFloors } : {}),
  });
  await recordRows(victim, data, 0);
  const others: FedrouterClient[] = [];
  for (let i = 1; i < data.rows.length; i++) {
    const { client } = federation.client(i);
    await recordRows(client, data, i);
    others.push(client);
  }
  const round = await federation.openRound();
  return { faults, victim, log, others, round };
}

async function refusal(participation: Promise<unknown>): Promise<FedRouterError> {
  const error = await participation.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FedRouterError);
  return error as FedRouterError;
}

describe("a client refuses a round configuration below its floors", () => {
  const secure = (r: ClientRound, change: Partial<ClientRound["secureAggregation"]>): ClientRound => ({
    ...r,
    secureAggregation: { ...r.secureAggregation, ...change },
  });
  const lies: [string, (round: ClientRound) => ClientRound, RegExp][] = [
    [
      "t = 1 (any one neighbour could rebuild either secret)",
      (r) => secure(r, { threshold: 1 }),
      /threshold 1 is not a strict majority of a neighbourhood of 5 clients/,
    ],
    [
      "t = k / 2 (two disjoint halves of 4 neighbours)",
      (r) => secure(r, { threshold: 2, neighbourDegree: 4 }),
      /threshold 2 is not a strict majority/,
    ],
    [
      "t below the minimum threshold (though a majority of 2 neighbours)",
      (r) => secure(r, { threshold: 2, neighbourDegree: 2 }),
      /threshold 2 is below the minimum threshold 3/,
    ],
    [
      "a cohort of 2 (this client and one the owner holds)",
      (r) => ({ ...r, cohortSize: 2 }),
      /a round of 2 clients is below the minimum cohort of 5/,
    ],
  ];
  for (const [what, lie, reason] of lies)
    it(`refuses ${what} before training or sending anything`, async () => {
      const { faults, victim, log, round } = await setUp();
      faults.rewrite(/\/rounds\/current$/, async (real) =>
        answerJson(real, lie((await real.json()) as ClientRound)),
      );
      // A client that took the round would wait for the others in vain: the timeout ends that wait.
      const error = await refusal(victim.participate({ round: round.round, timeoutMs: 20_000 }));
      expect(error.code).toBe("unsafe_round");
      expect(error.message).toMatch(reason);
      expect(sent(log)).toEqual([]);
    });

  it("holds an app's raised minimum cohort against an honest round of 5", async () => {
    const { victim, log, round } = await setUp({ minCohort: 6 });
    const error = await refusal(victim.participate({ round: round.round, timeoutMs: 20_000 }));
    expect(error.code).toBe("unsafe_round");
    expect(error.message).toMatch(/a round of 5 clients is below the minimum cohort of 6/);
    expect(sent(log)).toEqual([]);
  });
});

describe("a client refuses an unmask request that could expose an input", () => {
  const lies: [string, (request: UnmaskRequest) => UnmaskRequest, RegExp][] = [
    [
      "lists a peer as survivor and as dropped",
      (r) => ({ ...r, dropped: [r.survivors[0]!] }),
      /protocol_violation: .*exactly once/,
    ],
    [
      "names a peer twice",
      (r) => ({ ...r, survivors: [...r.survivors, r.survivors[0]!] }),
      /protocol_violation: .*exactly once/,
    ],
    [
      "unmasks a sum of 3, below the minimum of 5 survivors",
      (r) => ({
        ...r,
        survivors: r.survivors.slice(0, 2),
        dropped: r.survivors.slice(2),
        roundSurvivors: [r.clientId, ...r.survivors.slice(0, 2)],
      }),
      /below_floor: .*holds 3 inputs, below the minimum of 5 survivors/,
    ],
    [
      "carries fewer than t of its neighbours' signatures of the survivor set it signed",
      (r) => ({ ...r, signatures: r.signatures.slice(0, 1) }),
      /consistency_check_failed: .*neighbours signed the survivor set/,
    ],
    [
      "passes one neighbour's signature off as all the others'",
      (r) => ({
        ...r,
        signatures: r.signatures.map((s) => ({ ...s, signature: r.signatures[0]!.signature })),
      }),
      /consistency_check_failed: .*not a valid signature/,
    ],
    [
      "leaves this client out of the survivors",
      (r) => ({ ...r, roundSurvivors: r.roundSurvivors.filter((id) => id !== r.clientId) }),
      /protocol_violation: .*do not contain this client/,
    ],
  ];
  for (const [what, lie, reason] of lies)
    it(`refuses a request that ${what}, sending no share`, async () => {
      const { faults, victim, log, others, round } = await setUp();
      // The unmask request reaches a client as a polled message, or with the receipt of its
      // signature (a long poll): the lie goes into either.
      const lying = (message: { type: string }) =>
        message.type === "unmask_request" ? lie(message as UnmaskRequest) : message;
      faults.rewrite(/\/rounds\/1\/message$/, async (real) =>
        answerJson(real, lying((await real.json()) as { type: string })),
      );
      faults.rewrite(/\/rounds\/1\/consistency-check$/, async (real) => {
        const receipt = (await real.json()) as { next?: { type: string } };
        return answerJson(real, receipt.next ? { ...receipt, next: lying(receipt.next) } : receipt);
      });
      const [error] = await Promise.all([
        refusal(victim.participate({ round: round.round })),
        ...others.map((c) => c.participate({ round: round.round, waitForOutcome: false })),
      ]);
      expect(error.code).toBe("unsafe_round");
      expect(error.message).toMatch(reason);
      // It took part up to its masked input, and revealed no share.
      expect(sent(log).map((r) => r.path.split("/").pop())).toEqual([
        "advertise-keys",
        "share-keys",
        "masked-input",
        "consistency-check",
      ]);
    });

  it("holds an app's raised minimum of survivors against an honest sum of 5", async () => {
    const { victim, log, others, round } = await setUp({ minSurvivors: 6 });
    const [error] = await Promise.all([
      refusal(victim.participate({ round: round.round })),
      ...others.map((c) => c.participate({ round: round.round, waitForOutcome: false })),
    ]);
    expect(error.code).toBe("unsafe_round");
    expect(error.message).toMatch(/holds 5 inputs, below the minimum of 6 survivors/);
    expect(sent(log).some((r) => r.path.endsWith("/unmask"))).toBe(false);
  });
});
