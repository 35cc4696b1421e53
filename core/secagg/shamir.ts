// Shamir secret sharing over the prime field GF(2^256 + 297), large enough for any 32-byte secret.
import { Field } from "@noble/curves/abstract/modular.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { randomBytes } from "./bytes.ts";

/** The smallest prime above 2^256 (checked with `openssl prime`), so every 32-byte string is a field element. */
export const SHAMIR_PRIME = 2n ** 256n + 297n;
const Fp = Field(SHAMIR_PRIME);
/** Bytes of one share's value (the field element, big-endian). */
export const SHARE_BYTES = 33;
/** Longest secret that can be shared. */
export const MAX_SECRET_BYTES = 32;

/** One share: the holder's evaluation point x (a client index, never 0) and the polynomial's value there. */
export interface Share {
  x: number;
  y: Uint8Array;
}

function randomFieldElement(): bigint {
  // 48 random bytes reduced mod p: the bias is below 2^-127.
  return Fp.create(bytesToNumberBE(randomBytes(48)));
}

/**
 * Splits a secret into shares at the points `xs` (distinct positive integers) so that any
 * `threshold` of them reconstruct it and fewer reveal nothing: a random polynomial of degree
 * threshold - 1 with the secret as constant term, coefficients from crypto.getRandomValues.
 */
export function splitSecret(secret: Uint8Array, threshold: number, xs: readonly number[]): Share[] {
  if (secret.length > MAX_SECRET_BYTES) throw new RangeError(`secret of ${secret.length} bytes exceeds 32`);
  if (!(Number.isInteger(threshold) && threshold >= 1 && threshold <= xs.length))
    throw new RangeError(`threshold ${threshold} must be an integer in [1, ${xs.length}]`);
  if (new Set(xs).size !== xs.length || xs.some((x) => !(Number.isInteger(x) && x > 0)))
    throw new RangeError("share points must be distinct positive integers");
  const coefficients = [bytesToNumberBE(secret)];
  for (let i = 1; i < threshold; i++) coefficients.push(randomFieldElement());
  return xs.map((x) => {
    // Horner's rule from the highest coefficient down.
    const point = BigInt(x);
    let y = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--) y = Fp.add(Fp.mul(y, point), coefficients[i]!);
    return { x, y: numberToBytesBE(y, SHARE_BYTES) };
  });
}

/**
 * Reconstructs a secret of `length` bytes from at least `threshold` shares by Lagrange
 * interpolation at 0 (the first `threshold` shares are used). Throws RangeError on too few shares,
 * repeated points, or a result that does not fit in `length` bytes (a sign of wrong shares).
 */
export function reconstructSecret(shares: readonly Share[], threshold: number, length: number): Uint8Array {
  if (shares.length < threshold) throw new RangeError(`${shares.length} shares, ${threshold} needed`);
  const used = shares.slice(0, threshold);
  if (new Set(used.map((s) => s.x)).size !== used.length) throw new RangeError("shares repeat a point");
  const xs = used.map((s) => BigInt(s.x));
  const numerators: bigint[] = [];
  const denominators: bigint[] = [];
  for (let i = 0; i < xs.length; i++) {
    let numerator = 1n;
    let denominator = 1n;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      numerator = Fp.mul(numerator, xs[j]!);
      denominator = Fp.mul(denominator, Fp.sub(xs[j]!, xs[i]!));
    }
    numerators.push(numerator);
    denominators.push(denominator);
  }
  // One field inversion for all the Lagrange weights (Montgomery's trick) instead of one each:
  // the server rebuilds a secret per survivor in the unmask stage (docs/load.md).
  const inverses = Fp.invertBatch(denominators);
  let secret = 0n;
  for (let i = 0; i < xs.length; i++) {
    const yi = bytesToNumberBE(used[i]!.y);
    if (yi >= SHAMIR_PRIME) throw new RangeError("share value is not a field element");
    secret = Fp.add(secret, Fp.mul(yi, Fp.mul(numerators[i]!, inverses[i]!)));
  }
  if (secret >= 1n << BigInt(8 * length))
    throw new RangeError(`reconstructed value does not fit in ${length} bytes`);
  return numberToBytesBE(secret, length);
}
