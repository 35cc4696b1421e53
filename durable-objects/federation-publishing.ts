// A federation's model versions in KV: each version's bytes under an immutable key, written before
// any pointer names them and signed with the edge's key; the global state read back from the latest
// one; a round's total checked and finalised into the bytes of the next, with whether that state is
// final.
import { decodeModelFile, encodeModelFile, type ModelFile } from "../core/model-file.ts";
import { modelSigner } from "../core/model-signature.ts";
import { afterRoundNoise, encodingNoise, fromUnits, roundClip } from "../core/privacy/round-privacy.ts";
import { implausibleTotal, noiseTailBound, quantisationBound } from "../core/secagg/index.ts";
import { sha256Hex } from "../core/sha256.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import { modelKey } from "../core/wire/models.ts";
import type { RoundPrivacy } from "../core/wire/privacy.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import type { FederationStore, PublishedVersion, StoredFederation } from "./federation-store.ts";
import { KV_BACKOFF, retrying } from "./retry.ts";
import type { RoundTotal } from "./round-total.ts";
import { type FederationRouter, federationRouter } from "./router-kind.ts";

/** What publishing needs of the object's environment: the model store and the signing key. */
type PublishingEnv = Pick<Env, "MODELS" | "MODEL_SIGNING_KEY">;

/**
 * How a round's next version is published: `stamp` puts what it will have spent of the budget into
 * its model file; `lastAffordable` says the budget affords one more round only, so the version is
 * cut to one last pass that leaves a router (FederationRouter.lastPass).
 */
export interface Publication {
  stamp?(file: ModelFile): ModelFile;
  lastAffordable?: boolean;
}

/** A model file's bytes, and whether the state they hold is final (no round trains it further). */
export interface VersionBytes {
  bytes: Uint8Array;
  final: boolean;
}

/**
 * Signs a version and writes its bytes under its immutable key, before any pointer names them;
 * returns the version's row for the Federation to record (round null: no round made it).
 */
export async function putVersion(
  env: PublishingEnv,
  federationId: string,
  version: number,
  { bytes, final }: VersionBytes,
  round: number | null,
  createdAt?: string,
): Promise<PublishedVersion> {
  const sha256 = await sha256Hex(bytes);
  // Signed first: without a usable key nothing is written.
  const signature = await (await modelSigner(env.MODEL_SIGNING_KEY)).sign(federationId, version, sha256);
  // A write that throws is retried (the key is immutable, so writing it twice is harmless).
  await retrying(
    () => env.MODELS.put(modelKey(federationId, version), bytes),
    () => true,
    KV_BACKOFF,
  );
  return {
    version,
    sha256,
    bytes: bytes.length,
    createdAt: createdAt ?? new Date().toISOString(),
    round,
    signature,
    final,
  };
}

/** Signs the versions published before the edge signed them (once, when the object loads). */
export async function signUnsignedVersions(store: FederationStore, env: PublishingEnv): Promise<void> {
  const record = store.record;
  const unsigned = record ? store.unsignedVersions() : [];
  if (!record || unsigned.length === 0) return;
  const signer = await modelSigner(env.MODEL_SIGNING_KEY);
  const signed = await Promise.all(
    unsigned.map(async (v) => ({ ...v, signature: await signer.sign(record.id, v.version, v.sha256) })),
  );
  store.transaction(() => {
    for (const v of signed) store.setSignature(v.version, v.signature);
  });
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
  // A published version's key was written before its pointer moved: a miss is KV catching up, so
  // read again a few times before calling the model missing (which aborts a round for good).
  const bytes = await retrying(
    () => models.get(modelKey(federationId, version), "arrayBuffer"),
    (found) => found !== null,
    KV_BACKOFF,
  );
  if (!bytes) return failure("internal", `model version ${version} is missing from the store`);
  const global = router.value.algorithm.fromModelFile(decodeModelFile(new Uint8Array(bytes)));
  return success({ router: router.value, global });
}

/**
 * The model file that a round's decoded total makes of the global state, as bytes; or
 * `implausible_total` when no honest clients could have sent that total (a client that skipped the
 * SDK's encoding: a weight it does not have, values past the clipping range, sums its data cannot
 * make), so that nothing is published from it and the current version stays the latest.
 *
 * A round with privacy noise (round.privacy) is checked against the clipping range widened by the
 * noise's tail bound; the kind's exact checks (whole counts, norms a count allows) cannot hold for
 * a noised total, so they are not asked. Its total, in the round's units, is multiplied back into
 * the contribution's own and small statistics cells are suppressed before finalising.
 */
export function finalisedModel(
  router: FederationRouter,
  global: unknown,
  total: RoundTotal,
  round: Pick<RoundSummary, "participants" | "secureAggregation" | "privacy">,
  publication: Publication = {},
): Result<VersionBytes> {
  const { algorithm } = router;
  const { sum } = total;
  const expected = algorithm.contributionLength(global);
  if (sum.length !== expected)
    return failure("invalid_vector", `total has ${sum.length} elements, expected ${expected}`);
  const participants = round.participants.maskedInput;
  const config = round.secureAggregation;
  const { privacy } = round;
  const resolution = quantisationBound(participants, config.scale);
  // Clients encode with weight 1 (the SDK's participate()), so the weight slot counts them.
  const weights = { participants, weight: 1 };
  const refusal = privacy
    ? implausibleTotal(
        sum,
        total.weightTotal,
        weights,
        config,
        noiseTailBound(encodingNoise(privacy, sum.length), participants, config.scale) / config.scale,
      )
    : implausibleTotal(sum, total.weightTotal, weights, config);
  if (refusal) return failure("implausible_total", refusal);
  return checkedModel(router, global, sum, { participants, resolution }, privacy, publication);
}

/**
 * The model file a decoded sum makes of the global state, once the encodings it adds up were
 * checked (implausibleTotal, per shard for a sharded round): the router kind's own check of the
 * sum of `participants` inputs known to within `resolution` per element, then finalise. With
 * privacy, the kind's exact checks cannot hold for a noised total and are not asked; the total is
 * multiplied back from the round's units and small cells are suppressed first.
 */
export function checkedModel(
  router: FederationRouter,
  global: unknown,
  sum: Float64Array,
  context: { participants: number; resolution: number },
  privacy?: RoundPrivacy,
  { stamp = (file) => file, lastAffordable = false }: Publication = {},
): Result<VersionBytes> {
  const { algorithm } = router;
  const expected = algorithm.contributionLength(global);
  if (sum.length !== expected)
    return failure("invalid_vector", `total has ${sum.length} elements, expected ${expected}`);
  const refusal = privacy ? undefined : router.checkTotal(global, sum, context);
  if (refusal) return failure("implausible_total", refusal);
  try {
    const released = privacy
      ? afterRoundNoise(
          router.kind,
          global,
          fromUnits(Float64Array.from(sum), roundClip(router.kind, global, sum.length, privacy)),
          privacy,
        )
      : sum;
    const finalised = algorithm.finalise(global, released);
    const next = lastAffordable && router.lastPass ? router.lastPass(finalised) : finalised;
    return success({
      bytes: encodeModelFile(stamp(algorithm.toModelFile(next))),
      final: algorithm.done(next),
    });
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
