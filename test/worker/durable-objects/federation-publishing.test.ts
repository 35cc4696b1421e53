// Publishing model versions: a federation that stored its versions before their finality was
// recorded learns it from their bytes in KV, so its clients keep reading its final model.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { createFederation, createTenant, expectStatus, federationConfig } from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { runRound } from "../support/rounds.ts";

describe("publishing versions", () => {
  it("classifies versions stored before their finality was recorded when the federation loads", async () => {
    const config = federationConfig({ router: { kind: "mean", hyperparameters: { rounds: 1 } } });
    const handle = await createFederation(await createTenant(), 4, config);
    await runRound(handle, (id) => {
      const random = seededRandom(id.charCodeAt(7));
      const set = seededEvaluationSet(random, evaluationShape(2, config));
      return meanAlgorithm.contribute(meanKind.initialState(kindSetup(config)), set, random) as Float64Array;
    });
    const federation = env.FEDERATIONS.getByName(handle.federationId);
    // As an object migrated from before the column: every version unclassified.
    await runInDurableObject(federation, (_instance, state) => {
      state.storage.sql.exec("UPDATE versions SET final = NULL");
    });
    await evictDurableObject(federation);
    const base = `/v1/federations/${handle.federationId}/models`;
    const token = handle.clients[0]!.token;
    expect((await expectStatus(200, "GET", `${base}/latest`, { token })).version).toBe(1);
    const versions = await expectStatus(200, "GET", base, { token });
    expect(versions.map((v: { version: number }) => v.version)).toEqual([0, 1]);
    await runInDurableObject(federation, (_instance, state) => {
      const rows = state.storage.sql.exec("SELECT version, final FROM versions ORDER BY version").toArray();
      expect(rows).toEqual([
        { version: 0, final: 0 },
        { version: 1, final: 1 },
      ]);
    });
  });
});
