// What a Round (one shard) holds in memory: the server state, whose size is bounded by the shard's
// size n and neighbour count k (docs/secure-aggregation.md, "Round memory"). Measured at its peak,
// the unmask stage with every answer in. FEDROUTER_MEMORY_CLIENTS=256 measures a full default shard
// (about 3 minutes on a busy 2-core machine); the suite runs a small one.
import { describe, expect, it } from "vitest";
import { chooseParameters, effectiveDegree } from "../../../../core/secagg/index.ts";
import { randomInputs, runRound, testConfig } from "./harness.ts";

const CLIENTS = Number(process.env.FEDROUTER_MEMORY_CLIENTS ?? 24);
/** A client id as the edge makes them: `cli_` and 16 hex digits. */
const ID_LENGTH = 20;

/**
 * The documented bound on the serialized state of a round of n clients with k neighbours each:
 * per client its keys, commitment, digests and signature (at most 1000 bytes) and its neighbour
 * list, and at most k revealed shares per owner (each under 50 bytes besides its holder's id).
 */
function stateBound(n: number, k: number): number {
  return n * (1000 + k * (ID_LENGTH + 3)) + n * k * (ID_LENGTH + 50);
}

describe("round memory", () => {
  it(`stays within the bound at ${CLIENTS} clients, k and t from chooseParameters`, async () => {
    const chosen = chooseParameters({ cohortSize: CLIENTS, dropoutRate: 0.1, corruptFraction: 0.1 });
    if (!chosen.ok) throw new Error(chosen.message);
    const { neighbourDegree, threshold } = chosen.value;
    const config = testConfig({ maxClients: CLIENTS, neighbourDegree, threshold, vectorLength: 8 });
    const inputs = randomInputs(CLIENTS, 8, 1).map((input, i) => ({
      ...input,
      clientId: `cli_${i.toString(16).padStart(16, "0")}`,
    }));
    const dropped = inputs.slice(0, Math.max(1, Math.round(CLIENTS * 0.05))).map((i) => i.clientId);
    let peak = 0;
    const outcome = await runRound(config, inputs, {
      dropouts: { afterShareKeys: dropped },
      tamperUnmask: (response, server) => {
        peak = Math.max(peak, JSON.stringify(server).length);
        return response;
      },
    });
    expect(outcome.server.stage).toBe("done");
    const k = effectiveDegree(CLIENTS, neighbourDegree);
    const bound = stateBound(CLIENTS, k);
    console.log(JSON.stringify({ clients: CLIENTS, k, t: threshold, peakStateBytes: peak, bound }));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(bound);
  }, 600_000);
});
