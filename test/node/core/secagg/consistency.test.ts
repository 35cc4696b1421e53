// Signatures of the survivor set: what they bind, and that Web Crypto's Ed25519 (Node, workerd) and
// noble's (older browsers) make and accept the same signatures.
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import {
  generateSigningKeys,
  isValidSigningKey,
  signSurvivors,
  verifySurvivors,
} from "../../../../core/secagg/consistency.ts";
import {
  createServerRound,
  fromBase64Url,
  receiveAdvertiseKeys,
  receiveConsistencySignature,
  type ServerState,
  STAGE,
  startClient,
  toBase64Url,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

const SET = ["c", "a", "b"];
const signedBytes = (roundId: string, survivors: string[]) =>
  new TextEncoder().encode(
    JSON.stringify(["fedrouter secagg consistency v1", roundId, [...survivors].sort()]),
  );

describe("signatures of the survivor set", () => {
  it("verify for the same round and set in any order, and for nothing else", async () => {
    const keys = await generateSigningKeys();
    const signature = await signSurvivors(keys, "round-1", SET);
    expect(await verifySurvivors(keys.publicKey, signature, "round-1", ["a", "b", "c"])).toBe(true);
    expect(await verifySurvivors(keys.publicKey, signature, "round-2", SET)).toBe(false);
    expect(await verifySurvivors(keys.publicKey, signature, "round-1", ["a", "b"])).toBe(false);
    const other = await generateSigningKeys();
    expect(await verifySurvivors(other.publicKey, signature, "round-1", SET)).toBe(false);
    expect(await verifySurvivors(keys.publicKey, "not-a-signature", "round-1", SET)).toBe(false);
  });

  it("are plain RFC 8032 Ed25519 over the JSON [label, round, sorted set], as noble checks and makes them", async () => {
    const keys = await generateSigningKeys();
    const signature = await signSurvivors(keys, "round-1", SET);
    const message = signedBytes("round-1", SET);
    expect(ed25519.verify(fromBase64Url(signature), message, fromBase64Url(keys.publicKey))).toBe(true);
    const noble = ed25519.keygen();
    const nobleSignature = toBase64Url(ed25519.sign(message, noble.secretKey));
    expect(await verifySurvivors(toBase64Url(noble.publicKey), nobleSignature, "round-1", SET)).toBe(true);
  });

  it("accepts only 32-byte keys that are points of the curve", async () => {
    expect(isValidSigningKey((await generateSigningKeys()).publicKey)).toBe(true);
    expect(isValidSigningKey(toBase64Url(new Uint8Array(32).fill(255)))).toBe(false);
    expect(isValidSigningKey(toBase64Url(new Uint8Array(31)))).toBe(false);
    expect(isValidSigningKey("!")).toBe(false);
  });
});

describe("the server's side of the consistency check", () => {
  it("refuses an advertisement whose signing key is not an Ed25519 point", async () => {
    const config = testConfig();
    const created = createServerRound(config);
    const started = await startClient(config, "a");
    if (!created.ok || !started.ok) throw new Error("setup failed");
    const bad = { ...started.message, signingPublicKey: toBase64Url(new Uint8Array(32).fill(255)) };
    expect(await receiveAdvertiseKeys(created.value, bad)).toMatchObject({
      ok: false,
      code: "invalid_message",
      message: "the signing key is not a valid Ed25519 public key",
    });
  });

  it("keeps only a signature that verifies over this round's survivor set under the client's key", async () => {
    const config = testConfig({ maxClients: 3, threshold: 2 });
    const keys = { a: await generateSigningKeys(), b: await generateSigningKeys() };
    const survivors = ["a", "b"];
    const record = (index: number, signingPublicKey: string) => ({
      index,
      encryptionPublicKey: "",
      maskPublicKey: "",
      signingPublicKey,
      selfMaskCommitment: "",
      neighbours: survivors.filter((_, i) => i !== index - 1),
      received: { advertise_keys: "d", share_keys: "d", masked_input: "d" },
    });
    const state: ServerState = {
      version: 2,
      config,
      stage: STAGE.CONSISTENCY_CHECK,
      graphSeed: 1,
      clients: { a: record(1, keys.a.publicKey), b: record(2, keys.b.publicKey) },
      revealed: {},
    };
    const message = (signature: string) =>
      ({
        type: "consistency_signature",
        stage: STAGE.CONSISTENCY_CHECK,
        roundId: config.roundId,
        clientId: "a",
        signature,
      }) as const;
    const refusals = [
      await signSurvivors(keys.b, config.roundId, survivors), // b's key, not a's
      await signSurvivors(keys.a, config.roundId, ["a"]), // another set
      await signSurvivors(keys.a, "round-0", survivors), // another round
    ];
    for (const signature of refusals)
      expect(await receiveConsistencySignature(state, message(signature))).toMatchObject({
        ok: false,
        code: "invalid_message",
      });
    expect(state.clients.a!.survivorSignature).toBeUndefined();
    const good = await signSurvivors(keys.a, config.roundId, survivors);
    expect(await receiveConsistencySignature(state, message(good))).toMatchObject({
      ok: true,
      duplicate: false,
    });
    expect(state.clients.a!.survivorSignature).toBe(good);
  });
});
