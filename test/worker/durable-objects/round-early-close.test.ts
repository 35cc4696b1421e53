// The unmask stage closes as soon as it holds t revealed shares of every secret it must rebuild, not
// at its deadline: a neighbour that goes silent there no longer holds the round open.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { createFederation, createTenant } from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { cohortClients, roundSummary, startRound } from "../support/rounds.ts";

/** A client's contribution: the toy kind's sums over a seeded evaluation set. */
const contribution = (seed: number) => {
  const random = seededRandom(seed);
  const set = seededEvaluationSet(random, evaluationShape(2));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup()), set, random) as Float64Array;
};

describe("early close of the unmask stage", () => {
  it("publishes once every secret has t shares, while one client is still silent", async () => {
    const handle = await createFederation(await createTenant(), 5, {
      roundPolicy: {
        cohortSize: 5,
        minParticipants: 5,
        participationFraction: 1,
        deadlines: { advertiseKeys: 600, shareKeys: 600, maskedInput: 600, unmask: 600 },
      },
      secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
    });
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
    for (const [i, c] of clients.entries())
      expect((await c.maskedInput(contribution(i + 1), i)).status).toBe(200);
    for (const c of clients) expect((await c.consistencyCheck()).status).toBe(200);
    // Three answers leave each answering client's own secret with only two shares (t = 3).
    for (const c of clients.slice(0, 3)) expect((await c.unmask()).status).toBe(200);
    expect((await roundSummary(handle, opened.round)).stage).toBe("unmask");
    // The fourth gives every one of the five secrets three shares: the stage closes now.
    expect((await clients[3]!.unmask()).status).toBe(200);
    const summary = await roundSummary(handle, opened.round);
    expect(summary.stage).toBe("done");
    expect(summary.outcome).toEqual({ kind: "published", version: 1 });
    expect(summary.participants.unmask).toBe(4);
    // The silent client is asked for nothing more: it has no message to answer.
    expect((await clients[4]!.unmask()).body).toMatchObject({ type: "waiting", stage: "done" });
    expect((await roundSummary(handle, opened.round)).participants.unmask).toBe(4);
  });
});
