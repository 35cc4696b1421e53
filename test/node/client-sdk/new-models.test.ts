// newModelsToEvaluate(): while the federation learns LLMs just added to it, the client asks for
// them on a share of queries; otherwise never. Federations of both router kinds grow on the real
// edge.
import { describe, expect, it } from "vitest";
import { createClient, type FedrouterClient } from "../../../client-sdk/src/index.ts";
import { type FederationOptions, SMALL_KMEANS, SMALL_MLP, trainedFederation } from "./support/edge.ts";
import { fixture } from "./support/fixture.ts";

const data = fixture();

/** A client of a trained federation of `kind`, synced before and after the owner adds `added`. */
async function clientAfterGrowth(kind: FederationOptions, added: string[], newModelShare?: number) {
  const federation = await trainedFederation(data, kind);
  const { client } = federation.client(0, newModelShare === undefined ? {} : { newModelShare });
  await client.sync();
  expect(client.newModelsToEvaluate()).toEqual([]);
  await federation.addModels(added);
  return { federation, client, sync: await client.sync() };
}

/** How often, in `draws` calls, the client asks for the new models. */
function share(client: FedrouterClient, draws: number, added: string[]): number {
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
    const { client, sync } = await clientAfterGrowth(SMALL_KMEANS, ["new-a", "new-b"]);
    // The grown version cannot route yet: the held one stays, the new one is pending.
    const held = client.model!.version;
    expect(sync).toEqual({ version: held, changed: false, pending: held + 1 });
    // 4000 draws at 0.1: the share is within 0.085-0.115 but for one chance in about 10^5.
    const observed = share(client, 4000, ["new-a", "new-b"]);
    expect(observed).toBeGreaterThan(0.085);
    expect(observed).toBeLessThan(0.115);
  });

  it("asks for an MLP's added LLMs at the configured share, and never once they are learnt", async () => {
    const { federation, client } = await clientAfterGrowth(SMALL_MLP, ["new-a"], 1);
    expect(share(client, 50, ["new-a"])).toBe(1);
    // Once a final version holds every model, nothing is asked: the clients learn the new head.
    await federation.train(await federation.trainers(data));
    expect(await client.sync()).toMatchObject({ changed: true });
    expect(client.model!.models).toContain("new-a");
    expect(share(client, 50, [])).toBe(0);
    const { origin: edgeUrl } = federation.owner;
    const { federationId, enrolled } = federation;
    expect(() =>
      createClient({ edgeUrl, federationId, token: enrolled[0]!.token, newModelShare: 1.5 }),
    ).toThrow(/newModelShare/);
  });
});
