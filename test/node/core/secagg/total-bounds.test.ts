// The decoded total of honest encodings: its weight slot counts the clients, each element lies
// within their clipping range. A client that lies about its weight, skips clipping or wraps the
// sum mod 2^32 leaves a total outside them.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  decode,
  type EncodingConfig,
  encode,
  encodingScale,
  implausibleTotal,
  stochasticRound,
  sumEncoded,
} from "../../../../core/secagg/index.ts";

const clip = { min: -10, max: 10 };
const clients = 5;
const config: EncodingConfig = {
  clip,
  scale: encodingScale(clients, clip),
  maxWeight: 1,
  maxClients: clients,
  vectorLength: 3,
};
const weights = { participants: clients, weight: 1 };

/** Each client's honest encoding of a value near the clipping range's ends. */
function honestVectors(): Uint32Array[] {
  const random = seededRandom(3);
  return Array.from(
    { length: clients },
    (_, c) => encode([9.99, -9.99, c - 2.5], 1, config, seededRandom(Math.floor(random() * 1000))).vector,
  );
}

/** What the edge decodes from the clients' vectors. */
function decoded(vectors: Uint32Array[]) {
  const { weightTotal, weightedSum } = decode(sumEncoded(vectors, 4), config.scale);
  return implausibleTotal(weightedSum, weightTotal, weights, config);
}

/** A vector encoded without the SDK's clipping or weight check, as a client that skipped it sends. */
function unchecked(values: number[], weight: number): Uint32Array {
  const random = seededRandom(9);
  return Uint32Array.from([weight, ...values.map((v) => v * weight)], (v) =>
    stochasticRound(v * config.scale, random),
  );
}

describe("the bounds of a decoded total", () => {
  it("accept the total of honest clients, rounding included", () => {
    expect(decoded(honestVectors())).toBeUndefined();
  });

  it("refuse a client that lies about its weight", () => {
    const vectors = honestVectors();
    vectors[0] = unchecked([1, 1, 1], 2);
    expect(decoded(vectors)).toMatch(/weight slot sums to 6, but 5 clients of weight 1 sum to 5/);
  });

  it("refuse a client that skipped clipping", () => {
    const vectors = honestVectors();
    vectors[0] = unchecked([1, 1, 60], 1);
    expect(decoded(vectors)).toMatch(/element 2 of the total is 60, outside \[-50, 50\].*skipped clipping/);
  });

  it("refuse a total wrapped mod 2^32 by a slot of 2^31 - 1", () => {
    const vectors = honestVectors();
    vectors[2] = Uint32Array.from(vectors[2]!);
    vectors[2][3] = 2 ** 31 - 1;
    expect(decoded(vectors)).toMatch(/element 2 of the total is -?\d+.*outside/);
  });
});
