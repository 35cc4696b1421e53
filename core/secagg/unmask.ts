// Unmasking: rebuilding secrets from revealed shares into a correction plan, and applying the plan
// to the running total, whole or chunk by chunk (element range [offset, offset + length)).
import { fromBase64Url, toBase64Url } from "./bytes.ts";
import { selfMaskCommitment } from "./commitment.ts";
import { addInto } from "./encoding.ts";
import { agreementKey, PRIVATE_KEY_BYTES, publicKeyOf } from "./key-agreement.ts";
import { applyMaskStreams, importMaskSeed, MASK_SEED_BYTES } from "./mask-generator.ts";
import { pairwiseMaskSeed, pairwiseSign } from "./pairwise.ts";
import { fail, SECAGG_ERROR, type SecAggResult } from "./result.ts";
import type { CorrectionStream, ServerState, UnmaskPlan } from "./server-state.ts";
import { reconstructSecret, type Share } from "./shamir.ts";
import { STAGE } from "./stages.ts";

function sharesOf(state: ServerState, owner: string): Share[] {
  const byHolder = state.revealed[owner] ?? {};
  return Object.keys(byHolder).map((holder) => ({
    x: state.clients[holder]!.index,
    y: fromBase64Url(byHolder[holder]!),
  }));
}

/**
 * The correction that turns the sum of survivors' masked inputs into the sum of their inputs:
 * minus each survivor's self mask, and for each dropped client u and surviving neighbour v, minus
 * the pairwise mask v added for u (recomputed from u's rebuilt mask key and v's public key).
 * Every rebuilt secret is checked (a seed against its commitment, a mask key against its public
 * key), and one that fails refuses the plan: a wrong share never turns into a wrong sum.
 */
export async function buildUnmaskPlan(
  state: ServerState,
  survivors: string[],
  dropped: string[],
): Promise<SecAggResult<UnmaskPlan>> {
  const { config } = state;
  const t = config.threshold;
  const streams: CorrectionStream[] = [];
  for (const owner of survivors) {
    let seed: Uint8Array;
    try {
      seed = reconstructSecret(sharesOf(state, owner), t, MASK_SEED_BYTES);
    } catch (error) {
      return fail(SECAGG_ERROR.RECONSTRUCTION_FAILED, `self mask of ${owner}: ${(error as Error).message}`);
    }
    // A share moved by a chosen amount still yields a 16-byte seed, only the wrong one: removing its
    // mask would leave garbage in the sum, so the seed must match the commitment made before sharing.
    const commitment = await selfMaskCommitment(config.roundId, owner, seed);
    if (commitment !== state.clients[owner]!.selfMaskCommitment)
      return fail(
        SECAGG_ERROR.RECONSTRUCTION_FAILED,
        `rebuilt self-mask seed of ${owner} does not match its commitment: a neighbour revealed a wrong share`,
      );
    streams.push({ seed: toBase64Url(seed), sign: -1 });
  }
  const alive = new Set(survivors);
  for (const owner of dropped) {
    const record = state.clients[owner]!;
    let privateKey: Uint8Array;
    try {
      privateKey = reconstructSecret(sharesOf(state, owner), t, PRIVATE_KEY_BYTES);
    } catch (error) {
      return fail(SECAGG_ERROR.RECONSTRUCTION_FAILED, `mask key of ${owner}: ${(error as Error).message}`);
    }
    // A wrong share would yield some other key: check it against the key the client advertised.
    const rebuilt = await publicKeyOf(config.curve, privateKey).catch(() => undefined);
    if (!rebuilt || toBase64Url(rebuilt) !== record.maskPublicKey)
      return fail(
        SECAGG_ERROR.RECONSTRUCTION_FAILED,
        `rebuilt mask key of ${owner} does not match its public key: a neighbour revealed a wrong share`,
      );
    // One key agreement per surviving neighbour, run concurrently (Web Crypto works off the main
    // thread), with the rebuilt key imported once.
    const ownKey = await agreementKey(config.curve, privateKey);
    const corrections = await Promise.all(
      record.neighbours
        .filter((peer) => alive.has(peer))
        .map(async (peer): Promise<CorrectionStream> => {
          const peerRecord = state.clients[peer]!;
          const seed = await pairwiseMaskSeed(
            config.curve,
            config.roundId,
            ownKey,
            owner,
            peerRecord.maskPublicKey,
            peer,
          );
          const added = pairwiseSign(peerRecord.index, record.index);
          return { seed: toBase64Url(seed), sign: added === 1 ? -1 : 1 };
        }),
    );
    streams.push(...corrections);
  }
  return { ok: true, value: { survivors, dropped, streams } };
}

/** Adds a masked input (or the part of it for this chunk: elements [offset, offset + totalChunk.length)) into a total chunk. */
export function addMaskedInput(totalChunk: Uint32Array, maskedInput: Uint32Array, offset = 0): Uint32Array {
  if (offset + totalChunk.length > maskedInput.length)
    throw new RangeError(
      `chunk [${offset}, ${offset + totalChunk.length}) exceeds the input's ${maskedInput.length} elements`,
    );
  return addInto(totalChunk, maskedInput.subarray(offset, offset + totalChunk.length));
}

/**
 * Applies the unmask plan's correction to elements [offset, offset + totalChunk.length) of the
 * total, in place. Chunks may be done in any order; each element must be corrected exactly once.
 */
export async function applyUnmaskPlan(
  plan: UnmaskPlan,
  totalChunk: Uint32Array,
  offset = 0,
): Promise<Uint32Array> {
  const streams = await Promise.all(
    plan.streams.map(async (s) => ({ key: await importMaskSeed(s.seed), sign: s.sign })),
  );
  return applyMaskStreams(totalChunk, offset, streams);
}

/** Whole-vector convenience: the unmasked total [sum enc(w), sum enc(w*x)] of a finished round. */
export async function unmaskTotal(
  state: ServerState,
  maskedTotal: Uint32Array,
): Promise<SecAggResult<Uint32Array>> {
  if (state.stage !== STAGE.DONE || !state.plan)
    return fail(SECAGG_ERROR.NOT_DONE, `the round is at ${state.stage}, not done`);
  if (maskedTotal.length !== state.config.vectorLength + 1)
    return fail(
      SECAGG_ERROR.INVALID_VECTOR,
      `total has ${maskedTotal.length} elements, expected ${state.config.vectorLength + 1}`,
    );
  return { ok: true, value: await applyUnmaskPlan(state.plan, maskedTotal.slice(), 0) };
}
