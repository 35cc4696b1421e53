// Private K-means in a public random subspace: every client derives the same projection, and the
// d-dimensional router built from the subspace's clustering assigns queries as the subspace did.
import { describe, expect, it } from "vitest";
import { simulate } from "../../../../core/federated.ts";
import { federatedKMeans, initialKMeansState } from "../../../../core/kmeans/federated.ts";
import { nearestCentroid } from "../../../../core/kmeans/geometry.ts";
import { statsSums } from "../../../../core/kmeans/router.ts";
import { kmeansClip } from "../../../../core/privacy/kmeans-clip.ts";
import {
  liftRows,
  projectedKMeans,
  projectRows,
  publicProjection,
} from "../../../../core/privacy/kmeans-projection.ts";
import { seededRandom } from "../../../../core/random.ts";
import { syntheticClients } from "../../../support/synthetic-clients.ts";

const D = 64;
const K = 8;

const clientsOf = (count: number) => syntheticClients({ count, queries: 300, dimension: D, judged: 0.5 });

describe("the public projection", () => {
  it("is the same for every client that knows the seed, and differs with the seed", () => {
    const one = publicProjection(7, D, K);
    const other = publicProjection(7, D, K);
    expect(Array.from(other.rows)).toEqual(Array.from(one.rows));
    expect(Array.from(publicProjection(8, D, K).rows)).not.toEqual(Array.from(one.rows));
  });

  it("has orthonormal rows, so lifting then projecting gives the subspace's vectors back", () => {
    const { rows } = publicProjection(7, D, K);
    for (let a = 0; a < K; a++) {
      for (let b = 0; b < K; b++) {
        let dot = 0;
        for (let i = 0; i < D; i++) dot += rows[a * D + i]! * rows[b * D + i]!;
        expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
      }
    }
    const projection = publicProjection(7, D, K);
    const c = Float32Array.from({ length: 2 * K }, (_, i) => Math.sin(i + 1));
    const back = projectRows(projection, liftRows(projection, c));
    for (let i = 0; i < c.length; i++) expect(back[i]).toBeCloseTo(c[i]!, 5);
  });

  it("keeps the columns after the embedding (tag indicators) as they are", () => {
    const projection = publicProjection(1, 4, 2);
    const rows = projectRows(projection, Float32Array.of(1, 0, 0, 0, 1, 0, 1, 0, 0, 0), 5);
    expect(rows.length).toBe(2 * 3);
    expect(rows[2]).toBe(1);
    expect(rows[5]).toBe(0);
  });

  it("refuses a projection to more dimensions than it starts from", () => {
    expect(() => publicProjection(1, 4, 5)).toThrow(RangeError);
  });
});

describe("K-means in the subspace", () => {
  it("sends k-dimensional sums and publishes a d-dimensional router that assigns as the subspace did", async () => {
    const clients = await clientsOf(3);
    const projection = publicProjection(7, D, K);
    const algorithm = projectedKMeans(federatedKMeans, projection);
    const config = {
      models: ["a", "b", "c", "d"],
      embedder: { id: "hashing-test", dimension: D },
      clusters: 4,
    };
    const initial = initialKMeansState(config);
    expect(algorithm.contributionLength(initial)).toBe(K + 2);
    const trained = await simulate(algorithm, initial, clients, { random: seededRandom(1) });
    expect(trained.phase).toBe("done");
    expect(trained.centroids.length).toBe(trained.size * D);
    expect(trained.config.embedder.dimension).toBe(D);
    const inSubspace = projectRows(projection, trained.centroids);
    let total: Float64Array | null = null;
    for (const client of clients) {
      const projected = projectRows(projection, client.features, D);
      for (let q = 0; q < client.n; q++) {
        const full = nearestCentroid(client.features, q, trained.centroids, trained.size, D).cluster;
        expect(full).toBe(nearestCentroid(projected, q, inSubspace, trained.size, K).cluster);
      }
      // The published statistics are those the d-dimensional router's own assignment gives.
      const sums = statsSums(client, trained.centroids, trained.size);
      total ??= new Float64Array(sums.length);
      for (let i = 0; i < sums.length; i++) total[i]! += sums[i]!;
    }
    expect(Array.from(trained.stats!)).toEqual(Array.from(total!).map((v) => expect.closeTo(v, 9)));
  });
});

describe("the clip of a clustering in the subspace", () => {
  it("scales every unit by the subspace's point length (sums) or its square (squared errors, power terms)", () => {
    const state = initialKMeansState({ models: ["a"], embedder: { id: "e", dimension: 100 } });
    const clip = kmeansClip(state, 4 + 2, { cap: 16, costUnits: [1], pointLength: 0.2, dimension: 4 });
    expect(Array.from(clip.units ?? []).map((u) => Number(u.toFixed(6)))).toEqual([
      1, 0.16, 0.1, 0.1, 0.1, 0.1,
    ]);
    const power = kmeansClip({ ...state, phase: "power", splitting: [0], size: 1 }, 4 + 1, {
      cap: 16,
      costUnits: [1],
      pointLength: 0.5,
      dimension: 4,
    });
    expect(Array.from(power.units ?? [])).toEqual([1, 1 / 64, 1 / 64, 1 / 64, 1 / 64]);
  });
});
