// A federation's model versions in KV: each version's bytes under an immutable key, written before
// any pointer names them; the global state read back from the latest one; a round's total
// finalised into the bytes of the next, with whether that state is final.
import type { FederatedAlgorithm } from "../core/federated.ts";
import { decodeModelFile, encodeModelFile } from "../core/model-file.ts";
import { sha256Hex } from "../core/sha256.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import { modelKey } from "../core/wire/models.ts";
import type { FederationStore, PublishedVersion, StoredFederation } from "./federation-store.ts";
import { type FederationRouter, federationRouter } from "./router-kind.ts";

/** A model file's bytes, and whether the state they hold is final (no round trains it further). */
export interface VersionBytes {
  bytes: Uint8Array;
  final: boolean;
}

/**
 * Writes a version's bytes under its immutable key, before any pointer names them; returns the
 * version's row for the Federation to record (round null: no round made it).
 */
export async function putVersion(
  models: KVNamespace,
  federationId: string,
  version: number,
  { bytes, final }: VersionBytes,
  round: number | null,
  createdAt?: string,
): Promise<PublishedVersion> {
  await models.put(modelKey(federationId, version), bytes);
  const sha256 = await sha256Hex(bytes);
  const at = createdAt ?? new Date().toISOString();
  return { version, sha256, bytes: bytes.length, createdAt: at, round, final };
}

/** A published version's global state, with the router kind that reads and advances it. */
interface LoadedGlobal {
  router: FederationRouter;
  global: unknown;
}

export async function loadGlobal(
  models: KVNamespace,
  federationId: string,
  config: FederationConfig,
  version: number,
): Promise<Result<LoadedGlobal>> {
  const router = federationRouter(config);
  if (!router.ok) return router;
  const bytes = await models.get(modelKey(federationId, version), "arrayBuffer");
  if (!bytes) return failure("internal", `model version ${version} is missing from the store`);
  const global = router.value.algorithm.fromModelFile(decodeModelFile(new Uint8Array(bytes)));
  return success({ router: router.value, global });
}

/** The model file that a round's decoded total makes of the global state, as bytes. */
export function finalisedModel(
  algorithm: FederatedAlgorithm<unknown, never>,
  global: unknown,
  total: Float64Array,
): Result<VersionBytes> {
  const expected = algorithm.contributionLength(global);
  if (total.length !== expected)
    return failure("invalid_vector", `total has ${total.length} elements, expected ${expected}`);
  try {
    const next = algorithm.finalise(global, total);
    return success({ bytes: encodeModelFile(algorithm.toModelFile(next)), final: algorithm.done(next) });
  } catch (error) {
    return failure("internal", `finalise failed: ${(error as Error).message}`);
  }
}

/**
 * Records whether each version published before finality was stored is final, from its bytes in
 * KV. A version that cannot be read stays unclassified (clients do not see it) until a later load.
 */
export async function classifyVersions(
  store: FederationStore,
  models: KVNamespace,
  federation: StoredFederation,
): Promise<void> {
  for (const version of store.unclassifiedVersions()) {
    try {
      const loaded = await loadGlobal(models, federation.id, federation.config, version);
      if (loaded.ok) store.classifyVersion(version, loaded.value.router.algorithm.done(loaded.value.global));
    } catch {
      // Left for the next load: an unreadable version is only hidden from clients meanwhile.
    }
  }
}
