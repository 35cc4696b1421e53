// What a malicious client reveals instead of its Shamir share: a value that moves the secret the
// server rebuilds by a chosen amount. Lagrange interpolation is linear, so a holder that knows which
// points the server interpolates at adds delta / lambda (its Lagrange coefficient at 0) to its value;
// the rebuilt secret is then off by exactly delta and, for a small delta, still has the secret's length.
import { Field } from "@noble/curves/abstract/modular.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { fromBase64Url, SHAMIR_PRIME, toBase64Url } from "../../core/secagg/index.ts";

const Fp = Field(SHAMIR_PRIME);

/** The share (base64url) a holder at point `at` sends so that interpolation over `points` gives secret + delta. */
export function shiftedShare(share: string, at: number, points: readonly number[], delta: bigint): string {
  if (!points.includes(at)) throw new RangeError(`point ${at} is not among those interpolated`);
  let lambda = 1n;
  for (const x of points)
    if (x !== at) lambda = Fp.mul(lambda, Fp.div(BigInt(x), Fp.sub(BigInt(x), BigInt(at))));
  const bytes = fromBase64Url(share);
  const moved = Fp.add(bytesToNumberBE(bytes), Fp.div(Fp.create(delta), lambda));
  return toBase64Url(numberToBytesBE(moved, bytes.length));
}
