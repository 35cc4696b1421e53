// A malicious client among those answering the unmask request: a share it reveals wrong, even one
// crafted so that the rebuilt secret is still well formed, makes the round abort with a reason
// instead of removing the wrong mask and leaving garbage in the sum.
import { describe, expect, it } from "vitest";
import { participants, type ServerState, STAGE, type UnmaskResponse } from "../../../../core/secagg/index.ts";
import { shiftedShare } from "../../../support/malicious-share.ts";
import { randomInputs, runRound, testConfig } from "./harness.ts";

const config = testConfig({ maxClients: 5, threshold: 3 });
const inputs = randomInputs(5, config.vectorLength, 21);
const id = (i: number): string => inputs[i]!.clientId;
/** Index 1: it answers the unmask request first, so its share is among the t the server uses. */
const MALICIOUS = id(0);

/**
 * The points the server interpolates `owner`'s secret at: its first t neighbours to answer the
 * unmask request (the harness has survivors answer in index order).
 */
function pointsFor(server: ServerState, owner: string): number[] {
  const holders = new Set(server.clients[owner]!.neighbours);
  return participants(server, STAGE.MASKED_INPUT)
    .filter((holder) => holders.has(holder))
    .slice(0, server.config.threshold)
    .map((holder) => server.clients[holder]!.index);
}

/** The malicious client's response, with its share of `owner`'s secret moved by one. */
function lie(kind: "selfMaskShares" | "maskKeyShares") {
  return (response: UnmaskResponse, server: ServerState): UnmaskResponse => {
    if (response.clientId !== MALICIOUS) return response;
    const [first, ...rest] = response[kind];
    if (!first) throw new Error(`${MALICIOUS} reveals no ${kind}`);
    const at = server.clients[MALICIOUS]!.index;
    const moved = { of: first.of, share: shiftedShare(first.share, at, pointsFor(server, first.of), 1n) };
    return { ...response, [kind]: [moved, ...rest] };
  };
}

describe("a client that reveals a wrong share", () => {
  it("aborts the round, naming the owner, when a self-mask share is crafted to rebuild another valid seed", async () => {
    const outcome = await runRound(config, inputs, { tamperUnmask: lie("selfMaskShares") });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort).toEqual({
      code: "reconstruction_failed",
      message: expect.stringMatching(new RegExp(`self-mask seed of ${id(1)} does not match its commitment`)),
    });
    expect(outcome.server.plan).toBeUndefined();
    expect(outcome.total).toBeUndefined();
  });

  it("aborts the round when a mask-key share of a dropped client is wrong", async () => {
    const outcome = await runRound(config, inputs, {
      dropouts: { afterShareKeys: [id(4)] },
      tamperUnmask: lie("maskKeyShares"),
    });
    expect(outcome.server.stage).toBe(STAGE.ABORTED);
    expect(outcome.server.abort).toEqual({
      code: "reconstruction_failed",
      message: expect.stringMatching(new RegExp(`mask key of ${id(4)} does not match its public key`)),
    });
    expect(outcome.total).toBeUndefined();
  });

  it("unmasks the exact sum when the same clients tell the truth", async () => {
    const outcome = await runRound(config, inputs, { dropouts: { afterShareKeys: [id(4)] } });
    expect(outcome.server.stage).toBe(STAGE.DONE);
    expect(Array.from(outcome.total!)).toEqual(Array.from(outcome.expected));
  });
});
