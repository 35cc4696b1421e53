// Client-level DP around a federated algorithm (clip, noise, ledger) and the K-means router's
// small-cell suppression.
import { describe, expect, it } from "vitest";
import type { FederatedAlgorithm } from "../../../../core/federated.ts";
import { simulate } from "../../../../core/federated.ts";
import { initialKMeansState, kmeansRouter } from "../../../../core/kmeans/federated.ts";
import { predictKMeans } from "../../../../core/kmeans/router.ts";
import {
  kmeansClip,
  kmeansPlannedPasses,
  kmeansWithinPlan,
  suppressSmallCells,
} from "../../../../core/privacy/kmeans-clip.ts";
import type { NoisedRelease } from "../../../../core/privacy/ledger.ts";
import { clipInUnits, privatised } from "../../../../core/privacy/private-algorithm.ts";
import { seededRandom } from "../../../../core/random.ts";

/** Sums each client's vector once, for `passes` passes; the state is the totals seen. */
function summing(length: number, passes: number): FederatedAlgorithm<Float64Array[], Float64Array> {
  return {
    contributionLength: () => length,
    contribute: (_global, data) => Float64Array.from(data),
    finalise: (global, total) => [...global, total],
    done: (global) => global.length >= passes,
    toModelFile: () => {
      throw new Error("not needed");
    },
    fromModelFile: () => {
      throw new Error("not needed");
    },
  };
}

describe("clipping a contribution", () => {
  it("scales a long vector to the cap in its units and leaves a short one alone", () => {
    const units = Float64Array.from([1, 10]);
    const long = clipInUnits(Float64Array.from([3, 40]), { norm: 1, units });
    // In units the vector is (3, 4), length 5: scaled by 1/5.
    expect(long[0]).toBeCloseTo(0.6, 12);
    expect(long[1]).toBeCloseTo(8, 12);
    expect(Array.from(clipInUnits(Float64Array.from([0.3, 4]), { norm: 1, units }))).toEqual([0.3, 4]);
  });

  it("caps K-means Lloyd sums with squared errors in units of 4 and sums in half a point", () => {
    const state = initialKMeansState({ models: ["a"], embedder: { id: "e", dimension: 2 } });
    const clip = kmeansClip(state, 2 * 4, { cap: 16, costUnits: [0.01] });
    expect(clip.norm).toBe(16);
    expect(Array.from(clip.units ?? [])).toEqual([1, 4, 0.5, 0.5, 1, 4, 0.5, 0.5]);
    const stats = kmeansClip(
      { ...state, phase: "stats" as const, config: { ...state.config, models: ["a", "b"] } },
      5 * 4,
      {
        cap: 16,
        costUnits: [0.01, 2],
      },
    );
    // Two cells per model block (one cluster, two models): costs in each model's own unit.
    expect(Array.from(stats.units?.subarray(8, 12) ?? [])).toEqual([0.01, 2, 0.01, 2]);
    expect(Array.from(stats.units?.subarray(16, 20) ?? [])).toEqual([0.0001, 4, 0.0001, 4]);
    expect(kmeansPlannedPasses({ clusters: 16, lloydPasses: 3, powerPasses: 2 })).toBe(1 + 4 * 5 + 1);
  });
});

describe("a privatised algorithm", () => {
  const clients = Array.from({ length: 50 }, (_, i) => Float64Array.from([i % 2, 1 - (i % 2), 100]));

  it("clips every contribution, noises every total and records one release per pass with its contributors", async () => {
    const ledger: NoisedRelease[] = [];
    const noiseMultiplier = 2;
    const algorithm = privatised(
      summing(3, 40),
      {
        noiseMultiplier: () => noiseMultiplier,
        scale: 64,
        random: seededRandom(9),
        clip: () => ({ norm: 1 }),
      },
      ledger,
    );
    const totals = await simulate(algorithm, [], clients, { random: seededRandom(1), fraction: 0.5 });
    expect(ledger).toHaveLength(40);
    for (const release of ledger) {
      expect(release.clients).toBe(25);
      expect(release.l2Sensitivity).toBeCloseTo(64 + Math.sqrt(3), 12);
      // The shares of 25 clients add up to the central noise.
      expect(release.localStddev * Math.sqrt(25)).toBeCloseTo(noiseMultiplier * release.l2Sensitivity, 9);
    }
    // Each clipped client adds about 1/sqrt(1 + 10000)·100 ≈ 1 to the last element; noise sd 2·(1 + √3/64).
    const last = totals.map((t) => t[2] as number);
    const mean = last.reduce((a, b) => a + b, 0) / last.length;
    const variance = last.reduce((a, b) => a + (b - mean) ** 2, 0) / (last.length - 1);
    expect(Math.abs(mean - 25 * (100 / Math.sqrt(10001)))).toBeLessThan(4 * (2.1 / Math.sqrt(40)));
    expect(variance).toBeGreaterThan(2);
    expect(variance).toBeLessThan(8);
  });
});

describe("small cells suppressed", () => {
  it("empties a cell whose noised count is below the minimum, and the router falls back to the model's global mean", () => {
    const state = {
      ...initialKMeansState({
        models: ["a"],
        embedder: { id: "e", dimension: 2 },
        clusters: 2,
        shrinkage: "fixed" as const,
        prior: 0,
        softness: 0,
      }),
      phase: "done" as const,
      size: 2,
      centroids: Float32Array.from([1, 0, 0, 1]),
    };
    // [count, quality, cost, quality², cost²] over cells (cluster 0, a) and (cluster 1, a).
    const sums = Float64Array.from([100, 2.4, 90, 0.2, 1, 0.02, 81, 0.02, 0.01, 0.0002]);
    const published = kmeansRouter({ ...state, stats: sums.slice() });
    const suppressed = kmeansRouter({ ...state, stats: suppressSmallCells(sums.slice(), 5) });
    const nearSecond = Float32Array.from([0, 1]);
    const predict = (router: typeof published) => predictKMeans(router, nearSecond).quality[0];
    expect(predict(published)).toBeCloseTo(0.2 / 2.4, 6);
    expect(predict(suppressed)).toBeCloseTo(0.9, 6);
  });
});

describe("K-means within its planned passes", () => {
  it("goes to the statistics pass when only that pass is left in the plan", () => {
    const state = {
      ...initialKMeansState({ models: ["a"], embedder: { id: "e", dimension: 2 } }),
      phase: "power" as const,
      splitting: [0],
      directions: Float32Array.from([1, 0]),
    };
    expect(kmeansWithinPlan(state, 5, 10).phase).toBe("power");
    const stopped = kmeansWithinPlan(state, 9, 10);
    expect(stopped.phase).toBe("stats");
    expect(stopped.splitting).toBeUndefined();
    expect(kmeansWithinPlan({ ...state, phase: "stats" as const }, 9, 10).phase).toBe("stats");
  });
});

describe("suppression keeps every model a global statistic", () => {
  it("keeps a model's largest cell when none of its cells reaches the minimum", () => {
    // Two clusters, two models: model a's cells have counts 50 and 40; model b's 3 and 4.
    const sums = Float64Array.from([50, 3, 40, 4, ...Array.from({ length: 16 }, () => 1)]);
    const kept = suppressSmallCells(sums, 10, 2);
    expect(Array.from(kept.subarray(0, 4))).toEqual([50, 0, 40, 4]);
    // The emptied cell is empty in every part, the kept ones untouched.
    for (let part = 1; part < 5; part++) {
      expect(kept[part * 4 + 1]).toBe(0);
      expect(kept[part * 4 + 3]).toBe(1);
    }
  });
});
