// Publishing model versions: every published version carries the edge's Ed25519 signature of
// (federation id, version, SHA-256), which verifies with the public key a client receives at
// enrolment and with nothing else; and a federation that stored its versions before their finality
// was recorded learns it from their bytes in KV, so its clients keep reading its final model.
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyModelSignature } from "../../../core/model-signature.ts";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import {
  createFederation,
  createTenant,
  expectStatus,
  type FederationHandle,
  federationConfig,
} from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { runRound } from "../support/rounds.ts";

// One round trains the router to its final version, which clients may read.
const config = federationConfig({ router: { kind: "mean", hyperparameters: { rounds: 1 } } });

const contribution = (id: string) => {
  const random = seededRandom(id.charCodeAt(6));
  const set = seededEvaluationSet(random, evaluationShape(2, config));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup(config)), set, random) as Float64Array;
};

/** The public key a newly enrolled client of the federation receives. */
async function enrolmentKey(handle: FederationHandle): Promise<string> {
  const enrolment = await expectStatus(201, "POST", `/v1/federations/${handle.federationId}/clients`, {
    token: handle.ownerToken,
    json: { label: "key reader" },
  });
  return enrolment.modelPublicKey;
}

const versions = (handle: FederationHandle) =>
  expectStatus(200, "GET", `/v1/federations/${handle.federationId}/models`, {
    token: handle.clients[0]!.token,
  });

describe("model signatures", () => {
  it("signs every published version so that the enrolment's public key verifies it, for its federation and version only", async () => {
    const handle = await createFederation(await createTenant(), 5, config);
    await runRound(handle, contribution);
    const publicKey = await enrolmentKey(handle);
    const pointer = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/models/latest`, {
      token: handle.clients[0]!.token,
    });
    expect(pointer.version).toBe(1);
    expect(await verifyModelSignature(publicKey, pointer)).toBe(true);
    const all = await versions(handle);
    expect(all).toHaveLength(2);
    for (const v of all)
      expect(await verifyModelSignature(publicKey, { ...v, federationId: handle.federationId })).toBe(true);
    // A signature is bound to its federation, version and digest: replayed elsewhere it fails.
    const other = await createFederation(await createTenant(), 1);
    expect(await verifyModelSignature(publicKey, { ...pointer, federationId: other.federationId })).toBe(
      false,
    );
    expect(await verifyModelSignature(publicKey, { ...pointer, version: 0 })).toBe(false);
    expect(await verifyModelSignature(publicKey, { ...pointer, sha256: all[0]!.sha256 })).toBe(false);
    // Every federation of the edge is signed with the same key.
    expect(await enrolmentKey(other)).toBe(publicKey);
  });

  it("signs the versions published before signing began when the object next loads", async () => {
    const handle = await createFederation(await createTenant(), 5, config);
    const stub = env.FEDERATIONS.getByName(handle.federationId);
    // As a federation created before signing: the migration leaves its versions' signature null.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE versions SET signature = NULL");
    });
    await evictDurableObject(stub);
    const [version] = await versions(handle);
    expect(
      await verifyModelSignature(await enrolmentKey(handle), {
        ...version,
        federationId: handle.federationId,
      }),
    ).toBe(true);
  });
});

describe("publishing versions", () => {
  it("classifies versions stored before their finality was recorded when the federation loads", async () => {
    const handle = await createFederation(await createTenant(), 5, config);
    await runRound(handle, contribution);
    const federation = env.FEDERATIONS.getByName(handle.federationId);
    // As an object migrated from before the column: every version unclassified.
    await runInDurableObject(federation, (_instance, state) => {
      state.storage.sql.exec("UPDATE versions SET final = NULL");
    });
    await evictDurableObject(federation);
    const base = `/v1/federations/${handle.federationId}/models`;
    const token = handle.clients[0]!.token;
    expect((await expectStatus(200, "GET", `${base}/latest`, { token })).version).toBe(1);
    const versions = await expectStatus(200, "GET", base, { token });
    expect(versions.map((v: { version: number }) => v.version)).toEqual([0, 1]);
    await runInDurableObject(federation, (_instance, state) => {
      const rows = state.storage.sql.exec("SELECT version, final FROM versions ORDER BY version").toArray();
      expect(rows).toEqual([
        { version: 0, final: 0 },
        { version: 1, final: 1 },
      ]);
    });
  });
});
