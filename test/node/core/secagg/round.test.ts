// A full secure-aggregation round recovers exactly the plain sum of the encoded updates.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyUnmaskPlan,
  closeStage,
  createServerRound,
  decode,
  majorityThreshold,
  maskedLength,
  memoryMailbox,
  quantisationBound,
  STAGE,
  unmaskTotal,
} from "../../../../core/secagg/index.ts";
import { type ClientInput, randomInputs, runRound, testConfig } from "./harness.ts";

/** The float weighted sum and weight total of clipped updates, the reference for decoding. */
function floatReference(inputs: ClientInput[], clip: { min: number; max: number }, length: number) {
  const weightedSum = new Float64Array(length);
  let weightTotal = 0;
  for (const { update, weight } of inputs) {
    weightTotal += weight;
    for (let i = 0; i < length; i++)
      weightedSum[i]! += weight * Math.min(clip.max, Math.max(clip.min, update[i]!));
  }
  return { weightedSum, weightTotal };
}

describe("secure aggregation round", () => {
  it("recovers the exact sum of the encoded updates with no dropouts", async () => {
    const config = testConfig({ maxClients: 5, threshold: 3 });
    const inputs = randomInputs(5, config.vectorLength, 1);
    const outcome = await runRound(config, inputs);
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
    // The masked inputs alone sum to something else: the masks were really there.
    expect(outcome.server.plan!.streams.length).toBe(5);
  });

  it("gives the exact weighted sum for cohorts of 3 to 50, any majority threshold and neighbour degree (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 50 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            length: fc.integer({ min: 1, max: 24 }),
            degree: fc.oneof(
              fc.constant<"complete">("complete"),
              fc.integer({ min: 1, max: Math.max(1, Math.floor((n - 1) / 2)) }).map((h) => 2 * h),
            ),
            thresholdFraction: fc.double({ min: 0, max: 1, noNaN: true }),
            seed: fc.integer(),
            curve: fc.constantFrom<"X25519" | "P-256">("X25519", "P-256"),
          }),
        ),
        async ({ n, length, degree, thresholdFraction, seed, curve }) => {
          const k = degree === "complete" || degree >= n - 1 ? n - 1 : degree;
          // From the strict majority of a neighbourhood up to all k neighbours.
          const lowest = majorityThreshold(k);
          const threshold = Math.min(k, lowest + Math.floor(thresholdFraction * (k - lowest + 1)));
          const config = testConfig({
            maxClients: n,
            threshold,
            neighbourDegree: degree,
            vectorLength: length,
            curve,
          });
          const inputs = randomInputs(n, length, seed);
          const outcome = await runRound(config, inputs, { graphSeed: seed >>> 0 });
          expect(outcome.server.stage).toBe(STAGE.DONE);
          expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
          const decoded = decode(outcome.total!, config.scale);
          const reference = floatReference(inputs, config.clip, length);
          expect(decoded.weightTotal).toBe(reference.weightTotal); // integer weights encode exactly
          const bound = quantisationBound(n, config.scale);
          for (let i = 0; i < length; i++) {
            expect(Math.abs(decoded.weightedSum[i]! - reference.weightedSum[i]!)).toBeLessThan(bound);
            const average = reference.weightedSum[i]! / reference.weightTotal;
            expect(Math.abs(decoded.average[i]! - average)).toBeLessThan(
              bound / reference.weightTotal + 1e-12,
            );
          }
        },
      ),
      { numRuns: 12, seed: 4242 },
    );
  });

  it("finishes with the exact sum when the server state is stored as JSON and parsed between every step", async () => {
    const config = testConfig({ maxClients: 8, threshold: 3, neighbourDegree: 4 });
    const inputs = randomInputs(8, config.vectorLength, 3);
    const outcome = await runRound(config, inputs, {
      roundTripState: true,
      dropouts: { afterShareKeys: ["client-002"] },
    });
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(JSON.parse(JSON.stringify(outcome.server))).toEqual(outcome.server);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });

  it("finishes with the exact sum whether clients keep their derived keys in memory or derive them again", async () => {
    const config = testConfig({ maxClients: 8, threshold: 4, neighbourDegree: 6 });
    const inputs = randomInputs(8, config.vectorLength, 5);
    for (const roundTripClients of [false, true]) {
      const outcome = await runRound(config, inputs, {
        roundTripClients,
        dropouts: { beforeShareKeys: ["client-003"], afterShareKeys: ["client-005"] },
      });
      expect(outcome.server.stage).toBe(STAGE.DONE);
      expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
    }
  });

  it("unmasks a total chunk by chunk exactly as in one piece", async () => {
    const config = testConfig({ maxClients: 6, threshold: 4, vectorLength: 999 });
    const inputs = randomInputs(6, config.vectorLength, 5);
    const outcome = await runRound(config, inputs, { dropouts: { afterShareKeys: ["client-004"] } });
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
    // Re-mask the expected total with the inverse plan, then correct it in uneven chunks.
    const plan = outcome.server.plan!;
    const inverse = {
      ...plan,
      streams: plan.streams.map((s) => ({ ...s, sign: (s.sign === 1 ? -1 : 1) as 1 | -1 })),
    };
    const masked = await applyUnmaskPlan(inverse, outcome.expected.slice(), 0);
    expect(Array.from(masked)).not.toEqual(Array.from(outcome.expected));
    for (const [start, end] of [
      [0, 1],
      [1, 500],
      [500, maskedLength(config)],
    ] as const)
      await applyUnmaskPlan(plan, masked.subarray(start, end), start);
    expect(Array.from(masked)).toEqual(Array.from(outcome.expected));
  });

  it("refuses to unmask before the round is done", async () => {
    const created = createServerRound(testConfig());
    if (!created.ok) throw new Error(created.message);
    const result = await unmaskTotal(created.value, new Uint32Array(17));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.code).toBe("not_done");
    const closed = await closeStage(created.value, memoryMailbox());
    expect(closed.ok && closed.state.stage).toBe(STAGE.ABORTED);
  });
});
