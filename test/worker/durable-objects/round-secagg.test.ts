// Secure aggregation inside workerd: the runtime the Durable Object uses has the Web Crypto pieces it needs.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import {
  addMaskedInput,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  closeStage,
  createServerRound,
  detectCurve,
  encode,
  maskedLength,
  memoryMailbox,
  publicKeyOf,
  type RoundConfig,
  receiveAdvertiseKeys,
  receiveConsistencySignature,
  receiveMaskedInput,
  receiveShareKeys,
  receiveUnmaskResponse,
  type ServerMessage,
  type ServerTransition,
  STAGE,
  startClient,
  sumEncoded,
  unmaskTotal,
} from "../../../core/secagg/index.ts";

function ok(result: ServerTransition): ServerMessage[] {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.outgoing;
}

describe("secure aggregation in workerd", () => {
  for (const curve of ["X25519", "P-256"] as const) {
    it(`recovers the exact sum with a dropout on ${curve}`, async () => {
      const config: RoundConfig = {
        roundId: "worker-round",
        curve,
        // Six clients, t = 4 (their majority): one drops and five, the SDK's minimum of survivors, remain.
        maxClients: 6,
        threshold: 4,
        neighbourDegree: "complete",
        vectorLength: 8,
        clip: { min: -1, max: 1 },
        scale: 1024,
        maxWeight: 10,
      };
      const created = createServerRound(config);
      if (!created.ok) throw new Error(created.message);
      const server = created.value;
      const mailbox = memoryMailbox();
      const clients = new Map<string, Awaited<ReturnType<typeof startClient>>>();
      const encoded = new Map<string, Uint32Array>();
      for (let i = 0; i < 6; i++) {
        const started = await startClient(config, `c${i}`);
        if (!started.ok) throw new Error(started.message);
        clients.set(`c${i}`, started);
        ok(await receiveAdvertiseKeys(server, started.message));
        encoded.set(
          `c${i}`,
          encode(Array.from({ length: 8 }, seededRandom(i)), 1 + i, config, seededRandom(100 + i)).vector,
        );
      }
      const states = new Map([...clients].map(([id, s]) => [id, s.ok ? s.state : undefined]));
      for (const m of ok(await closeStage(server, mailbox))) {
        if (m.type !== "neighbour_keys") continue;
        const r = await clientShareKeys(states.get(m.clientId)!, m);
        if (!r.ok) throw new Error(r.message);
        ok(await receiveShareKeys(server, r.message, mailbox));
      }
      const total = new Uint32Array(maskedLength(config));
      for (const m of ok(await closeStage(server, mailbox))) {
        if (m.type !== "forwarded_shares" || m.clientId === "c5") continue; // c5 drops after sharing keys
        const r = await clientMaskInput(states.get(m.clientId)!, m, encoded.get(m.clientId)!);
        if (!r.ok) throw new Error(r.message);
        ok(await receiveMaskedInput(server, r.message));
        addMaskedInput(total, r.message.vector);
      }
      for (const m of ok(await closeStage(server, mailbox))) {
        if (m.type !== "consistency_request") continue;
        const r = await clientConsistencyCheck(states.get(m.clientId)!, m);
        if (!r.ok) throw new Error(r.message);
        states.set(m.clientId, r.state);
        ok(await receiveConsistencySignature(server, r.message));
      }
      for (const m of ok(await closeStage(server, mailbox))) {
        if (m.type !== "unmask_request") continue;
        const r = await clientUnmask(states.get(m.clientId)!, m);
        if (!r.ok) throw new Error(r.message);
        ok(await receiveUnmaskResponse(server, r.message));
      }
      ok(await closeStage(server, mailbox));
      expect(server.stage).toBe(STAGE.DONE);
      const unmasked = await unmaskTotal(server, total);
      const expected = sumEncoded(
        ["c0", "c1", "c2", "c3", "c4"].map((id) => encoded.get(id)!),
        maskedLength(config),
      );
      expect(unmasked.ok && Array.from(unmasked.value)).toEqual(Array.from(expected));
    });
  }

  it("detects a curve and rebuilds public keys from private scalars", async () => {
    expect(["X25519", "P-256"]).toContain(await detectCurve());
    expect((await publicKeyOf("P-256", new Uint8Array(32).fill(1))).length).toBe(65);
  });
});
