// What the server sees: masked vectors independent of the inputs, and no unmasked vector anywhere.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  type ClientMessage,
  fromBase64Url,
  type ServerMessage,
  toBase64Url,
} from "../../../../core/secagg/index.ts";
import { type ClientInput, runRound, testConfig } from "./harness.ts";
import { chiSquareHomogeneity } from "./statistics.ts";

/** Counts of the XOR of all eight nibbles of every element (16 bins): sensitive to every bit. */
function nibbleCounts(vectors: Uint32Array[]): number[] {
  const counts = new Array<number>(16).fill(0);
  for (const v of vectors)
    for (const x of v) {
      let folded = x ^ (x >>> 16);
      folded ^= folded >>> 8;
      folded ^= folded >>> 4;
      counts[folded & 15]!++;
    }
  return counts;
}

describe("privacy of masked inputs", () => {
  it("makes the masked vector's distribution independent of the client's input (chi-square)", async () => {
    const config = testConfig({ maxClients: 3, threshold: 2, vectorLength: 63 });
    const low: ClientInput = { clientId: "target", update: new Float64Array(63), weight: 1 };
    const high: ClientInput = { clientId: "target", update: new Float64Array(63).fill(1), weight: 100 };
    const others = (seed: number): ClientInput[] =>
      ["peer-1", "peer-2"].map((clientId, i) => ({
        clientId,
        update: Float64Array.from({ length: 63 }, seededRandom(seed * 2 + i)),
        weight: 1,
      }));
    const masked: Uint32Array[][] = [[], []];
    const plain: Uint32Array[][] = [[], []];
    const runs = 60;
    for (let run = 0; run < runs; run++) {
      for (const [which, target] of [low, high].entries()) {
        const outcome = await runRound(config, [target, ...others(run)]);
        const message = outcome.transcript.find(
          (m): m is Extract<ClientMessage, { type: "masked_input" }> =>
            m.type === "masked_input" && m.clientId === "target",
        )!;
        masked[which]!.push(message.vector);
        plain[which]!.push(outcome.encoded.get("target")!);
      }
    }
    // 15 degrees of freedom: P(chi2 > 50) = 1.2e-5 under independence.
    const chiMasked = chiSquareHomogeneity(nibbleCounts(masked[0]!), nibbleCounts(masked[1]!));
    expect(chiMasked).toBeLessThan(50);
    // The same test tells the unmasked encodings apart at once: it has the power to fail.
    const chiPlain = chiSquareHomogeneity(nibbleCounts(plain[0]!), nibbleCounts(plain[1]!));
    expect(chiPlain).toBeGreaterThan(1000);
  });

  it("never shows the server an unmasked vector, in any message or in its state", async () => {
    const config = testConfig({ maxClients: 7, threshold: 4, vectorLength: 32 });
    const random = seededRandom(99);
    const inputs: ClientInput[] = Array.from({ length: 7 }, (_, i) => ({
      clientId: `client-${i}`,
      update: Float64Array.from({ length: 32 }, () => random() * 2 - 1),
      weight: 1 + i,
    }));
    const outcome = await runRound(config, inputs, {
      dropouts: { afterShareKeys: ["client-1"], afterMaskedInput: ["client-4"] },
    });
    const vectors: Uint32Array[] = [];
    const texts: string[] = [JSON.stringify(outcome.server)];
    for (const message of outcome.transcript as (ClientMessage | ServerMessage)[]) {
      if (message.type === "masked_input") vectors.push(message.vector);
      texts.push(JSON.stringify(message, (_k, v: unknown) => (v instanceof Uint32Array ? Array.from(v) : v)));
    }
    const everything = texts.join("\n");
    // Every base64url string in the transcript, decoded, is also searched as bytes.
    for (const token of everything.match(/[A-Za-z0-9_-]{16,}/g) ?? []) {
      try {
        const bytes = fromBase64Url(token);
        if (bytes.length >= 8)
          vectors.push(new Uint32Array(bytes.slice(0, bytes.length - (bytes.length % 4)).buffer));
      } catch {
        // not base64url
      }
    }
    for (const input of inputs) {
      const encoded = outcome.encoded.get(input.clientId)!;
      // No window of four consecutive encoded elements appears in any vector the server saw.
      for (const seen of vectors)
        for (let at = 0; at + 4 <= seen.length; at++)
          for (let e = 0; e + 4 <= encoded.length; e++) {
            const match =
              seen[at] === encoded[e] && seen[at + 1] === encoded[e + 1] && seen[at + 2] === encoded[e + 2];
            expect(match && seen[at + 3] === encoded[e + 3]).toBe(false);
          }
      expect(everything).not.toContain(Array.from(encoded.subarray(1, 5)).join(","));
      expect(everything).not.toContain(toBase64Url(new Uint8Array(encoded.buffer, 4, 12)));
      expect(everything).not.toContain(String(input.update[0]));
    }
    // The round did finish: the sum is there, only the parts are not.
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });
});
