// newModelsToEvaluate(): while the federation learns LLMs just added to it, the client asks for
// them on a share of queries; otherwise never. Against the fake edge, for both router kinds.
import { beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../../client-sdk/src/index.ts";
import { addModels, federatedKMeans } from "../../../core/kmeans/federated.ts";
import { createFederatedMlp, mlpFromModelFile, mlpToModelFile } from "../../../core/mlp/index.ts";
import { createReferenceTrainer } from "../../../core/mlp/reference-trainer.ts";
import type { ModelFile } from "../../../core/model-file.ts";
import {
  EDGE,
  FakeEdge,
  FEDERATION,
  type Fixture,
  fixture,
  kmeansFile,
  mlpFile,
  TOKEN,
} from "./fake-edge.ts";

let data: Fixture;
beforeAll(async () => {
  data = await fixture();
});

async function clientAfterGrowth(trained: ModelFile, grown: ModelFile, newModelShare?: number) {
  const edge = new FakeEdge();
  await edge.publish(trained);
  const client = createClient({
    edgeUrl: EDGE,
    federationId: FEDERATION,
    token: TOKEN,
    fetch: edge.fetch,
    ...(newModelShare === undefined ? {} : { newModelShare }),
  });
  await client.sync();
  expect(client.newModelsToEvaluate()).toEqual([]);
  await edge.publish(grown, 1);
  return { edge, client, sync: await client.sync() };
}

/** How often, in `draws` calls, the client asks for the new models. */
function share(client: ReturnType<typeof createClient>, draws: number, added: string[]): number {
  let asked = 0;
  for (let i = 0; i < draws; i++) {
    const models = client.newModelsToEvaluate();
    if (models.length) {
      expect(models).toEqual(added);
      asked++;
    }
  }
  return asked / draws;
}

describe("evaluating new models", () => {
  it("asks for a K-means federation's added LLMs on a tenth of queries while it learns them", async () => {
    const trained = await kmeansFile(data);
    const grown = federatedKMeans.toModelFile(
      addModels(federatedKMeans.fromModelFile(trained), ["new-a", "new-b"]),
    );
    const { client, sync } = await clientAfterGrowth(trained, grown);
    // The grown version cannot route yet: the held one stays, the new one is pending.
    expect(sync).toEqual({ version: 0, changed: false, pending: 1 });
    // 4000 draws at 0.1: the share is within 0.085-0.115 but for one chance in about 10^5.
    const observed = share(client, 4000, ["new-a", "new-b"]);
    expect(observed).toBeGreaterThan(0.085);
    expect(observed).toBeLessThan(0.115);
  });

  it("asks for an MLP's added LLMs at the configured share, and never once they are learnt", async () => {
    const trained = await mlpFile(data);
    const algorithm = createFederatedMlp(createReferenceTrainer());
    const grown = mlpToModelFile(algorithm.addModels(mlpFromModelFile(trained), ["new-a"]));
    const { edge, client } = await clientAfterGrowth(trained, grown, 1);
    expect(share(client, 50, ["new-a"])).toBe(1);
    // Once a final version holds every model, nothing is asked.
    await edge.publish(await mlpFile(data), 2);
    await client.sync();
    expect(share(client, 50, [])).toBe(0);
    expect(() =>
      createClient({ edgeUrl: EDGE, federationId: FEDERATION, token: TOKEN, newModelShare: 1.5 }),
    ).toThrow(/newModelShare/);
  });
});
