// Dropouts at every stage: the unmasked total is exactly the sum of the survivors' inputs, and a
// round aborts, saying why, once fewer than t clients remain.
import { describe, expect, it } from "vitest";
import { STAGE } from "../../../../core/secagg/index.ts";
import { randomInputs, runRound, testConfig } from "./harness.ts";

const id = (i: number): string => `client-${String(i).padStart(3, "0")}`;

describe("dropouts", () => {
  it("recovers the survivors' sum when a client drops before sharing keys", async () => {
    const config = testConfig({ maxClients: 6, threshold: 4 });
    const outcome = await runRound(config, randomInputs(6, config.vectorLength, 11), {
      dropouts: { beforeShareKeys: [id(1)] },
    });
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(outcome.server.plan!.survivors).not.toContain(id(1));
    // It never shared keys, so nobody masked with it and nothing of it is reconstructed.
    expect(outcome.server.plan!.dropped).toEqual([]);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });

  it("recovers the survivors' sum when clients drop after sharing keys (pairwise masks removed)", async () => {
    const config = testConfig({ maxClients: 10, threshold: 4, neighbourDegree: 6 });
    const outcome = await runRound(config, randomInputs(10, config.vectorLength, 12), {
      dropouts: { afterShareKeys: [id(2), id(7)] },
    });
    expect(outcome.server.abort).toBeUndefined();
    expect(outcome.server.plan!.dropped.sort()).toEqual([id(2), id(7)]);
    expect(outcome.server.plan!.survivors).toHaveLength(8);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });

  it("keeps the input of a client that drops after sending its masked input (self mask removed)", async () => {
    const config = testConfig({ maxClients: 6, threshold: 4 });
    const outcome = await runRound(config, randomInputs(6, config.vectorLength, 13), {
      dropouts: { afterMaskedInput: [id(3)] },
    });
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(outcome.server.plan!.survivors).toContain(id(3));
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });

  it("finishes when clients go silent during unmasking while every secret keeps t holders", async () => {
    // 7 of 9 survivors answer: each secret has at least t = 6 holders among them (owners never hold their own).
    const config = testConfig({ maxClients: 10, threshold: 6 });
    const outcome = await runRound(config, randomInputs(10, config.vectorLength, 14), {
      dropouts: { afterShareKeys: [id(0)], afterConsistencyCheck: [id(8), id(9)] },
    });
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(outcome.server.plan!.survivors).toHaveLength(9);
    expect(outcome.server.plan!.dropped).toEqual([id(0)]);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });

  it("finishes when clients go silent instead of signing the survivor set, their inputs still summed", async () => {
    const config = testConfig({ maxClients: 10, threshold: 6 });
    const outcome = await runRound(config, randomInputs(10, config.vectorLength, 14), {
      dropouts: { afterShareKeys: [id(0)], afterMaskedInput: [id(8), id(9)] },
    });
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(outcome.server.plan!.survivors).toContain(id(8));
    expect(outcome.server.plan!.survivors).toHaveLength(9);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });

  it("aborts when fewer than t clients advertise keys", async () => {
    const config = testConfig({ maxClients: 6, threshold: 4 });
    const outcome = await runRound(config, randomInputs(2, config.vectorLength, 15));
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort).toMatchObject({ code: "too_few_survivors" });
    expect(outcome.server.abort!.message).toMatch(/only 2 clients advertised keys; threshold t = 4/);
    expect(outcome.transcript.filter((m) => m.type === "round_aborted")).toHaveLength(2);
  });

  it("aborts when fewer than t clients share keys", async () => {
    const config = testConfig({ maxClients: 5, threshold: 4 });
    const outcome = await runRound(config, randomInputs(5, config.vectorLength, 16), {
      dropouts: { beforeShareKeys: [id(0), id(1)] },
    });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort!.message).toMatch(/only 3 clients shared keys/);
  });

  it("aborts when fewer than t clients send masked inputs", async () => {
    const config = testConfig({ maxClients: 5, threshold: 4 });
    const outcome = await runRound(config, randomInputs(5, config.vectorLength, 17), {
      dropouts: { afterShareKeys: [id(3), id(4)] },
    });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort!.message).toMatch(/only 3 clients sent masked inputs/);
    expect(outcome.total).toBeUndefined();
  });

  it("aborts when fewer than t clients sign the survivor set", async () => {
    const config = testConfig({ maxClients: 5, threshold: 4 });
    const outcome = await runRound(config, randomInputs(5, config.vectorLength, 18), {
      dropouts: { afterMaskedInput: [id(0), id(1)] },
    });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort!.message).toMatch(/only 3 clients signed the survivor set/);
    expect(outcome.total).toBeUndefined();
  });

  it("aborts when fewer than t clients answer the unmask request", async () => {
    const config = testConfig({ maxClients: 5, threshold: 4 });
    const outcome = await runRound(config, randomInputs(5, config.vectorLength, 18), {
      dropouts: { afterConsistencyCheck: [id(0), id(1)] },
    });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort!.message).toMatch(/only 3 clients answered the unmask request/);
    // Nothing revealed is kept once the round has aborted.
    expect(outcome.server.revealed).toEqual({});
  });

  it("aborts when a sparse neighbourhood loses too many clients, naming the client", async () => {
    const config = testConfig({ maxClients: 10, threshold: 4, neighbourDegree: 4 });
    const outcome = await runRound(config, randomInputs(10, config.vectorLength, 19), {
      dropouts: { afterShareKeys: [id(4)] },
    });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort!.message).toMatch(/client client-\d{3} has only 3 neighbours/);
  });
});
