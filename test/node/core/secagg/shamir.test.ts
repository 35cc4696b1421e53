// Shamir secret sharing: any t shares reconstruct, t - 1 do not.
import { describe, expect, it } from "vitest";
import { reconstructSecret, SHAMIR_PRIME, splitSecret } from "../../../../core/secagg/index.ts";
import { chiSquareHomogeneity } from "./statistics.ts";

function subsets<T>(items: T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items as [T, ...T[]];
  return [...subsets(rest, size - 1).map((s) => [first, ...s]), ...subsets(rest, size)];
}

describe("Shamir secret sharing", () => {
  it("uses a prime field larger than any 32-byte secret", () => {
    expect(SHAMIR_PRIME > 2n ** 256n).toBe(true);
  });

  it("reconstructs a 32-byte secret from every t-subset of its shares", () => {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const xs = [3, 5, 6, 9, 12, 13, 20];
    for (const t of [1, 2, 3, 4, 7]) {
      const shares = splitSecret(secret, t, xs);
      for (const subset of subsets(shares, t)) expect(reconstructSecret(subset, t, 32)).toEqual(secret);
    }
  });

  it("reconstructs the all-ones secret (the largest 32-byte value)", () => {
    const secret = new Uint8Array(32).fill(255);
    const shares = splitSecret(secret, 3, [1, 2, 3, 4]);
    expect(reconstructSecret(shares.slice(1), 3, 32)).toEqual(secret);
  });

  it("does not reveal the secret from t - 1 shares", () => {
    const secret = crypto.getRandomValues(new Uint8Array(16));
    const xs = [1, 2, 3, 4, 5, 6];
    const t = 4;
    const shares = splitSecret(secret, t, xs);
    // Interpolating t - 1 shares as if the threshold were t - 1 gives some other value.
    for (const subset of subsets(shares, t - 1)) {
      let recovered: Uint8Array | undefined;
      try {
        recovered = reconstructSecret(subset, t - 1, 32);
      } catch {
        recovered = undefined; // the value did not even fit in 32 bytes
      }
      expect(recovered?.subarray(16)).not.toEqual(secret);
    }
    expect(() => reconstructSecret(shares.slice(0, t - 1), t, 16)).toThrow(RangeError);
  });

  it("gives t - 1 shares whose distribution does not depend on the secret", () => {
    // With t = 2 one share is a + s*x for a uniform a: its top nibble is uniform for either secret.
    const counts = [new Array<number>(16).fill(0), new Array<number>(16).fill(0)];
    const secrets = [new Uint8Array(32), new Uint8Array(32).fill(255)];
    const draws = 800;
    for (let s = 0; s < 2; s++)
      for (let i = 0; i < draws; i++) {
        const [share] = splitSecret(secrets[s]!, 2, [1, 2]);
        counts[s]![share!.y[1]! >> 4]!++;
      }
    const chi = chiSquareHomogeneity(counts[0]!, counts[1]!);
    // 15 degrees of freedom: P(chi2 > 44.3) = 1e-4.
    expect(chi).toBeLessThan(44.3);
  });

  it("refuses repeated points and too few shares", () => {
    const shares = splitSecret(new Uint8Array([1, 2, 3]), 2, [1, 2, 3]);
    expect(() => reconstructSecret([shares[0]!, shares[0]!], 2, 3)).toThrow(RangeError);
    expect(() => splitSecret(new Uint8Array(33), 2, [1, 2])).toThrow(RangeError);
    expect(() => splitSecret(new Uint8Array(1), 2, [0, 2])).toThrow(RangeError);
  });
});
