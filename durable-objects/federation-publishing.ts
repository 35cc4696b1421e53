// A federation's model versions in KV: each version's bytes under an immutable key, written before
// any pointer names them; the global state read back from the latest one; a round's total checked
// and finalised into the bytes of the next.
import { decodeModelFile, encodeModelFile } from "../core/model-file.ts";
import { implausibleTotal, quantisationBound } from "../core/secagg/index.ts";
import { sha256Hex } from "../core/sha256.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import { type ModelVersion, modelKey } from "../core/wire/models.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import type { RoundTotal } from "./round-total.ts";
import { type FederationRouter, federationRouter } from "./router-kind.ts";

/**
 * Writes a version's bytes under its immutable key, before any pointer names them; returns the
 * version's row for the Federation to record (round null: no round made it).
 */
export async function putVersion(
  models: KVNamespace,
  federationId: string,
  version: number,
  bytes: Uint8Array,
  round: number | null,
  createdAt?: string,
): Promise<ModelVersion> {
  await models.put(modelKey(federationId, version), bytes);
  const sha256 = await sha256Hex(bytes);
  return { version, sha256, bytes: bytes.length, createdAt: createdAt ?? new Date().toISOString(), round };
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

/**
 * The model file that a round's decoded total makes of the global state, as bytes; or
 * `implausible_total` when no honest clients could have sent that total (a client that skipped the
 * SDK's encoding: a weight it does not have, values past the clipping range, sums its data cannot
 * make), so that nothing is published from it and the current version stays the latest.
 */
export function finalisedModel(
  router: FederationRouter,
  global: unknown,
  total: RoundTotal,
  round: Pick<RoundSummary, "participants" | "secureAggregation">,
): Result<Uint8Array> {
  const { algorithm } = router;
  const { sum } = total;
  const expected = algorithm.contributionLength(global);
  if (sum.length !== expected)
    return failure("invalid_vector", `total has ${sum.length} elements, expected ${expected}`);
  const participants = round.participants.maskedInput;
  const config = round.secureAggregation;
  const resolution = quantisationBound(participants, config.scale);
  // Clients encode with weight 1 (the SDK's participate()), so the weight slot counts them.
  const refusal =
    implausibleTotal(sum, total.weightTotal, { participants, weight: 1 }, config) ??
    router.checkTotal(global, sum, { participants, resolution });
  if (refusal) return failure("implausible_total", refusal);
  try {
    return success(encodeModelFile(algorithm.toModelFile(algorithm.finalise(global, sum))));
  } catch (error) {
    return failure("internal", `finalise failed: ${(error as Error).message}`);
  }
}
