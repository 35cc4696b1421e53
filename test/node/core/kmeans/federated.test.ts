import { describe, expect, it } from "vitest";
import { concatEvaluationSets } from "../../../../core/data/evaluations.ts";
import { simulate, sumContributions } from "../../../../core/federated.ts";
import {
  federatedKMeans,
  initialKMeansState,
  type KMeansState,
  kmeansRouter,
} from "../../../../core/kmeans/federated.ts";
import { lloydSums } from "../../../../core/kmeans/geometry.ts";
import { predictKMeans } from "../../../../core/kmeans/router.ts";
import { decodeModelFile, encodeModelFile } from "../../../../core/model-file.ts";
import { seededRandom } from "../../../../core/random.ts";
import { syntheticClients } from "../../../support/synthetic-clients.ts";

const clientsOf = (count: number) => syntheticClients({ count, queries: 400, dimension: 64, judged: 0.3 });

const config = { models: ["a", "b", "c", "d"], embedder: { id: "hashing-test", dimension: 64 }, clusters: 5 };

describe("federated K-means from sums", () => {
  it("equals the centralised computation on the same data when every client participates", async () => {
    const clients = await clientsOf(4);
    const federated = await simulate(federatedKMeans, initialKMeansState(config), clients, {
      random: seededRandom(1),
    });
    const centralised = await simulate(
      federatedKMeans,
      initialKMeansState(config),
      [concatEvaluationSets(clients)],
      {
        random: seededRandom(1),
      },
    );
    expect(federated.size).toBe(5);
    expect(federated.phase).toBe("done");
    // Same passes, same assignments; the sums differ only by float rounding order.
    for (let i = 0; i < centralised.centroids.length; i++) {
      expect(federated.centroids[i]).toBeCloseTo(centralised.centroids[i]!, 5);
    }
    expect(Array.from(federated.stats!)).toEqual(
      Array.from(centralised.stats!).map((v) => expect.closeTo(v, 9)),
    );
  });

  it("needs only the total: any split of the data into clients gives the same Lloyd sums", async () => {
    const clients = await clientsOf(3);
    const centroids = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
    const parts = clients.map((c) => lloydSums(c.features, null, centroids, 2, 64));
    const whole = lloydSums(concatEvaluationSets(clients).features, null, centroids, 2, 64);
    const total = sumContributions(parts, whole.length);
    for (const [i, v] of total.entries()) expect(v).toBeCloseTo(whole[i]!, 9);
  });

  it("resumes identically from its model file at every pass", async () => {
    const clients = await clientsOf(2);
    let direct: KMeansState = initialKMeansState(config);
    let viaFile: KMeansState = initialKMeansState(config);
    while (!federatedKMeans.done(direct)) {
      const total = sumContributions(
        await Promise.all(clients.map((c) => federatedKMeans.contribute(viaFile, c, seededRandom(0)))),
        federatedKMeans.contributionLength(viaFile),
      );
      direct = federatedKMeans.finalise(direct, total);
      const bytes = encodeModelFile(federatedKMeans.toModelFile(federatedKMeans.finalise(viaFile, total)));
      viaFile = federatedKMeans.fromModelFile(decodeModelFile(bytes));
      expect(viaFile.phase).toBe(direct.phase);
      expect(Array.from(viaFile.centroids)).toEqual(Array.from(direct.centroids));
    }
    expect(Array.from(viaFile.stats!)).toEqual(Array.from(direct.stats!));
  });

  it("never chooses a (cluster, model) cell that no client observed", async () => {
    const clients = await clientsOf(2);
    // Hide model "c" everywhere.
    for (const c of clients) for (let q = 0; q < c.n; q++) c.observed[q * 4 + 2] = 0;
    const state = await simulate(federatedKMeans, initialKMeansState(config), clients, {
      random: seededRandom(1),
    });
    const router = kmeansRouter(state);
    for (let q = 0; q < 20; q++) {
      const p = predictKMeans(router, clients[0]!.features, q);
      expect(p.available?.[2]).toBe(0);
    }
  });
});
