// Publishing a round's model survives a KV that misbehaves for a moment: the Federation retries a
// read that misses or a write that throws (bounded, with backoff) instead of aborting the round.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { createFederation, createTenant, type FederationHandle } from "../support/api.ts";
import { failing, patchEnv, withMethods } from "../support/faults.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { latestModel, plainSum, runRound } from "../support/rounds.ts";

const contribution = (id: string) => {
  const random = seededRandom(id.charCodeAt(6) + id.charCodeAt(7));
  const set = seededEvaluationSet(random, evaluationShape(2));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup()), set, random) as Float64Array;
};

/**
 * Runs a round whose Federation gets, once the round is open (after the first client message), a
 * KV whose `get` or `put` fails the first `times` calls: only publishing meets the fault.
 */
async function runRoundWithBrokenModels(handle: FederationHandle, method: "get" | "put", times: number) {
  let fault: ReturnType<typeof failing> | undefined;
  let installed = false;
  const breakModels = async () => {
    if (installed) return;
    installed = true;
    await patchEnv(env.FEDERATIONS.getByName(handle.federationId), (real) => ({
      MODELS: withMethods(real.MODELS, {
        [method]: (original) => {
          fault ??= failing(original, times, async () => {
            // A read misses (KV is eventually consistent); a write fails outright.
            if (method === "get") return null;
            throw new Error("KV is unavailable");
          });
          return fault;
        },
      }),
    }));
  };
  const run = await runRound(handle, contribution, new Map(), 1, breakModels);
  return { run, calls: () => fault?.calls() ?? 0 };
}

function expectedModel(run: Awaited<ReturnType<typeof runRound>>) {
  return meanAlgorithm.finalise(
    meanKind.initialState(kindSetup()),
    plainSum(run.survivors, run.summary.secureAggregation.scale),
  );
}

describe("publishing a round's model through a flaky KV", () => {
  for (const method of ["get", "put"] as const) {
    it(`publishes the round when publishing's first KV ${method} fails once`, async () => {
      const handle = await createFederation(await createTenant(), 5);
      const { run, calls } = await runRoundWithBrokenModels(handle, method, 1);
      expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
      expect(calls()).toBe(2);
      const { pointer, file } = await latestModel(handle);
      expect(pointer.version).toBe(1);
      expect(meanAlgorithm.fromModelFile(file)).toEqual(expectedModel(run));
    });
  }

  it("gives up after a bounded number of reads and aborts the round with the reason", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const { run, calls } = await runRoundWithBrokenModels(handle, "get", Number.POSITIVE_INFINITY);
    expect(run.summary.outcome).toMatchObject({ kind: "aborted", code: "internal" });
    expect(calls()).toBeGreaterThan(1);
    expect(calls()).toBeLessThanOrEqual(5);
    expect((await latestModel(handle)).pointer.version).toBe(0);
  });
});
