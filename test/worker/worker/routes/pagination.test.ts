// Pages of the list routes: `?limit=n&before=k` answers the n highest-numbered rounds or versions
// below k, oldest first, with a Link header to the next, older page while one exists; without them
// the whole list, as before; a client's page holds only the versions it may read.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import { seededClientSets } from "../../../support/evaluation-sets.ts";
import { MEAN_KIND, meanAlgorithm } from "../../../support/mean-kind.ts";
import {
  call,
  createFederation,
  createTenant,
  expectStatus,
  type FederationHandle,
} from "../../support/api.ts";
import { evaluationShape, federationConfig, wholeCohortRounds } from "../../support/federation-config.ts";
import { latestModel, runRound, startRound } from "../../support/rounds.ts";

// Three passes of the toy kind: versions 1 and 2 are intermediate (owners only), 3 is final.
const overrides = { router: { kind: MEAN_KIND, hyperparameters: { rounds: 3 } }, ...wholeCohortRounds(5) };
const config = federationConfig(overrides);

async function trainedThreeRounds(): Promise<FederationHandle> {
  const handle = await createFederation(await createTenant(), 5, overrides);
  const sets = seededClientSets(
    handle.clients.map((c) => c.clientId),
    seededRandom(3),
    evaluationShape(2, config),
  );
  for (let pass = 1; pass <= 3; pass++) {
    const global = meanAlgorithm.fromModelFile((await latestModel(handle)).file);
    const run = await runRound(
      handle,
      (id) => meanAlgorithm.contribute(global, sets.get(id)!, seededRandom(0)) as Float64Array,
      new Map(),
      pass,
    );
    expect(run.summary.outcome).toEqual({ kind: "published", version: pass });
  }
  return handle;
}

/** Follows Link headers from `path` and returns each page's numbers. */
async function pages(path: string, token: string, key: "round" | "version"): Promise<number[][]> {
  const seen: number[][] = [];
  let next: string | undefined = path;
  while (next) {
    const reply = await expectStatus<{ round: number; version: number }[]>(200, "GET", next, { token });
    seen.push(reply.map((item) => item[key]));
    next = /^<([^>]+)>; rel="next"$/.exec(
      (await call("GET", next, { token })).headers.get("link") ?? "",
    )?.[1];
    if (seen.length > 10) throw new Error("pages do not end");
  }
  return seen;
}

describe("pages of the list routes", () => {
  it("pages versions and rounds newest page first, each page oldest first, and keeps a client's scope", async () => {
    const handle = await trainedThreeRounds();
    const base = `/v1/federations/${handle.federationId}`;
    expect(await pages(`${base}/models?limit=2`, handle.ownerToken, "version")).toEqual([
      [2, 3],
      [0, 1],
    ]);
    expect(await pages(`${base}/rounds?limit=2`, handle.ownerToken, "round")).toEqual([[2, 3], [1]]);
    expect(await pages(`${base}/models?limit=3&before=3`, handle.ownerToken, "version")).toEqual([[0, 1, 2]]);
    // A client reads the initial and the final version only, on pages as well.
    expect(await pages(`${base}/models?limit=1`, handle.clients[0]!.token, "version")).toEqual([[3], [0]]);
    // Without parameters: the whole list, and no Link.
    const all = await call("GET", `${base}/rounds`, { token: handle.ownerToken });
    expect(all.body.map((r: { round: number }) => r.round)).toEqual([1, 2, 3]);
    expect(all.headers.get("link")).toBeNull();
  });

  it("refuses a limit outside 1 to 500 and a negative cursor with invalid_request", async () => {
    const handle = await createFederation(await createTenant(), 5);
    await startRound(handle);
    const base = `/v1/federations/${handle.federationId}`;
    for (const query of ["limit=0", "limit=501", "limit=two", "before=-1"]) {
      const reply = await call("GET", `${base}/rounds?${query}`, { token: handle.ownerToken });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe("invalid_request");
    }
    const page = await expectStatus(200, "GET", `${base}/rounds?limit=1`, { token: handle.ownerToken });
    expect(page).toHaveLength(1);
  });
});
