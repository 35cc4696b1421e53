// Round configuration, parameter choice, neighbour graph and fixed-point encoding.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  chooseParameters,
  decode,
  encode,
  encodingScale,
  neighbourGraph,
  stochasticRound,
  sumEncoded,
  validateRoundConfig,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

describe("round configuration", () => {
  it("accepts the test configuration", () => {
    expect(validateRoundConfig(testConfig()).ok).toBe(true);
  });

  it("refuses a configuration whose sum could overflow mod 2^32, saying what to lower", () => {
    // 1000 clients x weight 100 x |x| <= 1 x 2^16 = 6.6e9 > 2^31.
    const result = validateRoundConfig(testConfig({ maxClients: 1000, threshold: 3, neighbourDegree: 4 }));
    expect(result).toMatchObject({ ok: false, code: "invalid_config" });
    expect(!result.ok && result.message).toMatch(/overflow.*lower the scale \(at most about 21474\)/);
    // At the scale it suggests, the same round is accepted.
    expect(
      validateRoundConfig(testConfig({ maxClients: 1000, threshold: 3, neighbourDegree: 4, scale: 21474 }))
        .ok,
    ).toBe(true);
  });

  it("refuses thresholds above the degree, odd degrees and empty clipping ranges", () => {
    expect(validateRoundConfig(testConfig({ neighbourDegree: 4, threshold: 5 })).ok).toBe(false);
    expect(validateRoundConfig(testConfig({ neighbourDegree: 5 })).ok).toBe(false);
    expect(validateRoundConfig(testConfig({ clip: { min: 1, max: 1 } })).ok).toBe(false);
    expect(validateRoundConfig({ ...testConfig(), scale: -1 })).toMatchObject({
      ok: false,
      code: "invalid_config",
    });
  });

  it("refuses a threshold that is not a strict majority of a neighbourhood, the client counted", () => {
    const refused = [
      // The federation that was accepted: with t = 1 any single neighbour rebuilds either secret.
      testConfig({ maxClients: 10, neighbourDegree: 6, threshold: 1 }),
      // Two disjoint groups of 3 neighbours: one for the self mask, the other for the mask key.
      testConfig({ maxClients: 10, neighbourDegree: 6, threshold: 3 }),
      // Complete graph of 6: 5 neighbours and the client, so t = 3 is half, not a majority.
      testConfig({ maxClients: 6, neighbourDegree: "complete", threshold: 3 }),
      // A neighbourDegree at or past maxClients - 1 is the complete graph: judged on its 7 clients.
      testConfig({ maxClients: 7, neighbourDegree: 8, threshold: 3 }),
    ];
    for (const config of refused) {
      const result = validateRoundConfig(config);
      expect(result).toMatchObject({ ok: false, code: "invalid_config" });
      expect(!result.ok && result.message).toMatch(/not a strict majority/);
    }
    const accepted = [
      testConfig({ maxClients: 10, neighbourDegree: 6, threshold: 4 }),
      testConfig({ maxClients: 6, neighbourDegree: "complete", threshold: 4 }),
      testConfig({ maxClients: 5, neighbourDegree: "complete", threshold: 3 }),
    ];
    for (const config of accepted) expect(validateRoundConfig(config).ok).toBe(true);
  });

  it("chooses the finest scale at which the cohort's clipped values sum below 2^30", () => {
    // 8 clients x |x| <= 2: 2^30 / 16 = 2^26.
    expect(encodingScale(8, { min: -2, max: 0.5 })).toBe(2 ** 26);
    // A range inside [-1, 1] is scaled as if it reached 1, so the weight slot (w = 1) fits too.
    expect(encodingScale(4, { min: -0.25, max: 0.25 })).toBe(2 ** 28);
    // The chosen scale leaves the factor-two margin: the round validates, and twice the scale does not.
    const round = (maxClients: number, scale: number) =>
      validateRoundConfig(
        testConfig({
          maxClients,
          threshold: 3,
          neighbourDegree: 4,
          maxWeight: 1,
          clip: { min: -3, max: 3 },
          scale,
        }),
      );
    for (const n of [4, 50, 1000]) {
      expect(round(n, encodingScale(n, { min: -3, max: 3 })).ok).toBe(true);
      expect(round(n, 2 * encodingScale(n, { min: -3, max: 3 })).ok).toBe(false);
    }
  });
});

describe("choice of k and t", () => {
  it("uses a sparse graph with a majority threshold for a large cohort", () => {
    const result = chooseParameters({ cohortSize: 1000, dropoutRate: 0.1, corruptFraction: 0.1 });
    if (!result.ok) throw new Error(result.message);
    const { neighbourDegree: k, threshold: t } = result.value;
    expect(typeof k).toBe("number");
    expect(k as number).toBeLessThan(100);
    expect(t).toBeGreaterThan((k as number) / 2);
    expect(result.value.log2ExposureBound).toBeLessThanOrEqual(-40);
    expect(result.value.log2FailureBound).toBeLessThanOrEqual(-20);
  });

  it("uses the complete graph for a small cohort, with t above the corrupt count and a majority", () => {
    // 6: a strict majority of each client and its 9 neighbours (the corrupt count is 3).
    const result = chooseParameters({ cohortSize: 10, dropoutRate: 0.1, corruptFraction: 0.3 });
    expect(result).toMatchObject({ ok: true, value: { neighbourDegree: "complete", threshold: 6 } });
  });

  it("needs more neighbours when more clients drop out", () => {
    const degree = (dropoutRate: number): number => {
      const r = chooseParameters({ cohortSize: 10_000, dropoutRate, corruptFraction: 0.1 });
      if (!r.ok || r.value.neighbourDegree === "complete") throw new Error("expected a sparse graph");
      return r.value.neighbourDegree;
    };
    expect(degree(0.3)).toBeGreaterThan(degree(0.05));
  });
});

describe("neighbour graph", () => {
  it("is k-regular, symmetric and free of self-loops", () => {
    const graph = neighbourGraph(50, 8, 123);
    graph.forEach((neighbours, i) => {
      expect(neighbours).toHaveLength(8);
      expect(neighbours).not.toContain(i);
      for (const j of neighbours) expect(graph[j]).toContain(i);
    });
  });

  it("becomes the complete graph when k reaches n - 1", () => {
    expect(neighbourGraph(5, 4, 1)).toEqual([
      [1, 2, 3, 4],
      [0, 2, 3, 4],
      [0, 1, 3, 4],
      [0, 1, 2, 4],
      [0, 1, 2, 3],
    ]);
  });
});

describe("fixed-point encoding", () => {
  const config = testConfig({ vectorLength: 4, clip: { min: -1, max: 2 }, scale: 1000, maxWeight: 10 });

  it("clips values outside the range and counts them in the report", () => {
    const { vector, report } = encode([-5, 0.5, 3, Number.NaN], 2, config, seededRandom(1));
    expect(report).toEqual({ weight: 2, clippedLow: 1, clippedHigh: 1, nonFinite: 1 });
    expect(Array.from(vector, (v) => v | 0)).toEqual([2000, -2000, 1000, 4000, 0]);
  });

  it("rounds stochastically without bias", () => {
    const random = seededRandom(5);
    let total = 0;
    for (let i = 0; i < 20_000; i++) total += stochasticRound(0.3, random);
    expect(total / 20_000).toBeCloseTo(0.3, 1);
  });

  it("gives the same encoding for the same randomness, and sums and decodes negatives", () => {
    const a = encode([-0.25, 0.5, -1, 2], 3, config, seededRandom(7));
    const b = encode([-0.25, 0.5, -1, 2], 3, config, seededRandom(7));
    expect(Array.from(a.vector)).toEqual(Array.from(b.vector));
    const c = encode([-0.75, -0.5, 0, 1], 1, config, seededRandom(8));
    const decoded = decode(sumEncoded([a.vector, c.vector], 5), config.scale);
    expect(decoded.weightTotal).toBe(4);
    expect(Array.from(decoded.weightedSum)).toEqual([-1.5, 1, -3, 7]);
    expect(Array.from(decoded.average)).toEqual([-0.375, 0.25, -0.75, 1.75]);
  });

  it("refuses a weight outside [0, maxWeight] and a wrong length", () => {
    expect(() => encode([0, 0, 0, 0], 11, config)).toThrow(RangeError);
    expect(() => encode([0, 0, 0], 1, config)).toThrow(RangeError);
  });
});
