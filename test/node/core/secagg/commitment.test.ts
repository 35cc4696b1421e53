// The self-mask commitment: SHA-256 over the round, the client and the seed, as node:crypto computes it.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createServerRound,
  receiveAdvertiseKeys,
  selfMaskCommitment,
  startClient,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

describe("selfMaskCommitment", () => {
  it("is SHA-256 of the JSON context [label, round, client] followed by the seed", async () => {
    const seed = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const context = JSON.stringify(["fedrouter secagg self-mask commitment v1", "round-1", "client-a"]);
    const reference = createHash("sha256").update(context).update(seed).digest("base64url");
    expect(await selfMaskCommitment("round-1", "client-a", seed)).toBe(reference);
  });

  it("binds the round and the client, so a commitment cannot be reused elsewhere", async () => {
    const seed = new Uint8Array(16).fill(9);
    const here = await selfMaskCommitment("round-1", "client-a", seed);
    expect(await selfMaskCommitment("round-2", "client-a", seed)).not.toBe(here);
    expect(await selfMaskCommitment("round-1", "client-b", seed)).not.toBe(here);
  });

  it("is what a starting client advertises for its seed", async () => {
    const config = testConfig();
    const started = await startClient(config, "client-a");
    if (!started.ok) throw new Error(started.message);
    const seed = Buffer.from(started.state.selfMaskSeed, "base64url");
    expect(started.message.selfMaskCommitment).toBe(
      await selfMaskCommitment(config.roundId, "client-a", new Uint8Array(seed)),
    );
  });

  it("is refused by the server unless it is 32 bytes", async () => {
    const config = testConfig();
    const created = createServerRound(config);
    const started = await startClient(config, "client-a");
    if (!created.ok || !started.ok) throw new Error("setup failed");
    const short = { ...started.message, selfMaskCommitment: started.message.selfMaskCommitment.slice(0, 40) };
    expect(await receiveAdvertiseKeys(created.value, short)).toMatchObject({
      ok: false,
      code: "invalid_message",
      message: "the self-mask commitment must be 32 bytes",
    });
    expect(await receiveAdvertiseKeys(created.value, started.message)).toMatchObject({ ok: true });
  });
});
