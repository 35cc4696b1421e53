// Tampering, replay, duplicates and misdirected messages are rejected with typed codes.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  type ClientState,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  closeAdvertiseKeys,
  closeConsistencyCheck,
  closeMaskedInput,
  closeShareKeys,
  createServerRound,
  encode,
  type ForwardedShares,
  type Mailbox,
  memoryMailbox,
  type RoundConfig,
  receiveAdvertiseKeys,
  receiveConsistencySignature,
  receiveMaskedInput,
  receiveShareKeys,
  receiveUnmaskResponse,
  type ServerMessage,
  type ServerState,
  type ServerTransition,
  type ShareKeys,
  startClient,
  type UnmaskRequest,
} from "../../../../core/secagg/index.ts";
import { PROTOCOL_FLOORS, testConfig } from "./harness.ts";

interface Setup {
  config: RoundConfig;
  server: ServerState;
  mailbox: Mailbox;
  clients: Map<string, ClientState>;
  forwarded: Map<string, ForwardedShares>;
  encoded: Map<string, Uint32Array>;
}

function ok(result: ServerTransition): ServerMessage[] {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.outgoing;
}

/** A round of five clients brought to the masked-input stage. */
async function toMaskedInput(roundId = "round-1"): Promise<Setup> {
  const config = testConfig({ roundId, maxClients: 5, threshold: 3, vectorLength: 4 });
  const created = createServerRound(config, 1);
  if (!created.ok) throw new Error(created.message);
  const server = created.value;
  const mailbox = memoryMailbox();
  const clients = new Map<string, ClientState>();
  const encoded = new Map<string, Uint32Array>();
  for (const clientId of ["a", "b", "c", "d", "e"]) {
    const started = await startClient(config, clientId, PROTOCOL_FLOORS);
    if (!started.ok) throw new Error(started.message);
    clients.set(clientId, started.state);
    ok(await receiveAdvertiseKeys(server, started.message));
    encoded.set(
      clientId,
      encode([0.1, 0.2, -0.3, 0.4], 2, config, seededRandom(clientId.charCodeAt(0))).vector,
    );
  }
  for (const message of ok(closeAdvertiseKeys(server))) {
    if (message.type !== "neighbour_keys") continue;
    const answer = await clientShareKeys(clients.get(message.clientId)!, message);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(message.clientId, answer.state);
    ok(await receiveShareKeys(server, answer.message, mailbox));
  }
  const forwarded = new Map<string, ForwardedShares>();
  for (const message of ok(closeShareKeys(server, mailbox)))
    if (message.type === "forwarded_shares") forwarded.set(message.clientId, message);
  return { config, server, mailbox, clients, forwarded, encoded };
}

function flipCharacter(text: string, at: number): string {
  const c = text[at] === "A" ? "B" : "A";
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe("tampering with shares", () => {
  it("rejects a modified encrypted share", async () => {
    const { clients, forwarded, encoded } = await toMaskedInput();
    const message = structuredClone(forwarded.get("b")!);
    message.shares[0]!.ciphertext = flipCharacter(message.shares[0]!.ciphertext, 40);
    const result = await clientMaskInput(clients.get("b")!, message, encoded.get("b")!);
    expect(result).toMatchObject({ ok: false, code: "invalid_share" });
  });

  it("rejects a share swapped to another recipient", async () => {
    const { clients, forwarded, encoded } = await toMaskedInput();
    // a's share for c, delivered to b as if it were a's share for b.
    const forB = structuredClone(forwarded.get("b")!);
    const aToC = forwarded.get("c")!.shares.find((s) => s.from === "a")!;
    forB.shares.find((s) => s.from === "a")!.ciphertext = aToC.ciphertext;
    const result = await clientMaskInput(clients.get("b")!, forB, encoded.get("b")!);
    expect(result).toMatchObject({ ok: false, code: "invalid_share" });
  });

  it("rejects a share relabelled with another sender", async () => {
    const { clients, forwarded, encoded } = await toMaskedInput();
    const forB = structuredClone(forwarded.get("b")!);
    const fromA = forB.shares.find((s) => s.from === "a")!.ciphertext;
    forB.shares.find((s) => s.from === "c")!.ciphertext = fromA;
    const result = await clientMaskInput(clients.get("b")!, forB, encoded.get("b")!);
    expect(result).toMatchObject({ ok: false, code: "invalid_share" });
  });

  it("rejects a share replayed from an earlier round", async () => {
    const earlier = await toMaskedInput("round-0");
    const current = await toMaskedInput("round-1");
    const forB = structuredClone(current.forwarded.get("b")!);
    forB.shares[0]!.ciphertext = earlier.forwarded.get("b")!.shares[0]!.ciphertext;
    const result = await clientMaskInput(current.clients.get("b")!, forB, current.encoded.get("b")!);
    expect(result).toMatchObject({ ok: false, code: "invalid_share" });
    // The untouched message is accepted, so the rejection is the replay's doing.
    const honest = await clientMaskInput(
      current.clients.get("b")!,
      current.forwarded.get("b")!,
      current.encoded.get("b")!,
    );
    expect(honest.ok).toBe(true);
  });
});

describe("duplicates and resubmissions", () => {
  it("answers an identical masked input idempotently and rejects a different second one", async () => {
    const { server, clients, forwarded, encoded } = await toMaskedInput();
    const answer = await clientMaskInput(clients.get("a")!, forwarded.get("a")!, encoded.get("a")!);
    if (!answer.ok) throw new Error(answer.message);
    const first = await receiveMaskedInput(server, answer.message);
    expect(first).toMatchObject({ ok: true, duplicate: false });
    const again = await receiveMaskedInput(server, {
      ...answer.message,
      vector: answer.message.vector.slice(),
    });
    expect(again).toMatchObject({ ok: true, duplicate: true });
    const altered = answer.message.vector.slice();
    altered[2]! += 1;
    const different = await receiveMaskedInput(server, { ...answer.message, vector: altered });
    expect(different).toMatchObject({ ok: false, code: "conflicting_resubmission" });
  });

  it("masks the same way when the client is asked again (so its resubmission is identical)", async () => {
    const { clients, forwarded, encoded } = await toMaskedInput();
    const first = await clientMaskInput(clients.get("c")!, forwarded.get("c")!, encoded.get("c")!);
    if (!first.ok) throw new Error(first.message);
    const again = await clientMaskInput(first.state, forwarded.get("c")!, encoded.get("c")!);
    if (!again.ok) throw new Error(again.message);
    expect(Array.from(again.message.vector)).toEqual(Array.from(first.message.vector));
  });

  it("rejects a masked input of the wrong length", async () => {
    const { server, clients, forwarded, encoded } = await toMaskedInput();
    const answer = await clientMaskInput(clients.get("a")!, forwarded.get("a")!, encoded.get("a")!);
    if (!answer.ok) throw new Error(answer.message);
    const result = await receiveMaskedInput(server, { ...answer.message, vector: new Uint32Array(3) });
    expect(result).toMatchObject({ ok: false, code: "invalid_vector" });
  });

  it("detects a repeated advertisement and refuses a different one under the same client id", async () => {
    const config = testConfig({ maxClients: 3, threshold: 2 });
    const created = createServerRound(config);
    if (!created.ok) throw new Error(created.message);
    const started = await startClient(config, "a", PROTOCOL_FLOORS);
    const other = await startClient(config, "a", PROTOCOL_FLOORS);
    if (!started.ok || !other.ok) throw new Error("start failed");
    expect(await receiveAdvertiseKeys(created.value, started.message)).toMatchObject({
      ok: true,
      duplicate: false,
    });
    expect(await receiveAdvertiseKeys(created.value, { ...started.message })).toMatchObject({
      ok: true,
      duplicate: true,
    });
    expect(await receiveAdvertiseKeys(created.value, other.message)).toMatchObject({
      ok: false,
      code: "conflicting_resubmission",
    });
  });

  it("refuses clients beyond maxClients", async () => {
    const config = testConfig({ maxClients: 3, threshold: 2 });
    const created = createServerRound(config);
    if (!created.ok) throw new Error(created.message);
    for (const clientId of ["a", "b", "c", "d"]) {
      const started = await startClient(config, clientId, PROTOCOL_FLOORS);
      if (!started.ok) throw new Error(started.message);
      const result = await receiveAdvertiseKeys(created.value, started.message);
      expect(result.ok ? "ok" : result.code).toBe(clientId === "d" ? "round_full" : "ok");
    }
  });
});

describe("messages for the wrong stage or round", () => {
  it("rejects a message for another round", async () => {
    const config = testConfig();
    const created = createServerRound(config);
    const started = await startClient({ ...config, roundId: "round-2" }, "a", PROTOCOL_FLOORS);
    if (!created.ok || !started.ok) throw new Error("setup failed");
    expect(await receiveAdvertiseKeys(created.value, started.message)).toMatchObject({
      ok: false,
      code: "wrong_round",
    });
  });

  it("rejects a masked input before the masked-input stage and a share after it", async () => {
    const { server, mailbox, clients, forwarded, encoded } = await toMaskedInput();
    const answer = await clientMaskInput(clients.get("a")!, forwarded.get("a")!, encoded.get("a")!);
    if (!answer.ok) throw new Error(answer.message);
    const early = structuredClone(server);
    early.stage = "share_keys";
    expect(await receiveMaskedInput(early, answer.message)).toMatchObject({ ok: false, code: "wrong_stage" });
    const lateShare: ShareKeys = {
      type: "share_keys",
      stage: "share_keys",
      roundId: "round-1",
      clientId: "f",
      shares: [],
    };
    expect(await receiveShareKeys(server, lateShare, mailbox)).toMatchObject({
      ok: false,
      code: "wrong_stage",
    });
  });

  it("has the client reject a server message for a stage it is not at, or for another round", async () => {
    const { clients, forwarded } = await toMaskedInput();
    const request: UnmaskRequest = {
      type: "unmask_request",
      stage: "unmask",
      roundId: "round-1",
      clientId: "a",
      survivors: ["b", "c", "d", "e"],
      dropped: [],
      roundSurvivors: ["a", "b", "c", "d", "e"],
      signatures: [],
    };
    expect(await clientUnmask(clients.get("a")!, request)).toMatchObject({ ok: false, code: "wrong_stage" });
    const otherRound = { ...forwarded.get("a")!, roundId: "round-9" };
    expect(await clientMaskInput(clients.get("a")!, otherRound, new Uint32Array(5))).toMatchObject({
      ok: false,
      code: "wrong_round",
    });
  });
});

describe("the unmask stage never reveals both shares of a peer", () => {
  async function toUnmask(): Promise<{
    server: ServerState;
    clients: Map<string, ClientState>;
    requests: Map<string, UnmaskRequest>;
  }> {
    const { server, mailbox, clients, forwarded, encoded } = await toMaskedInput();
    for (const clientId of ["a", "b", "c", "d"]) {
      const answer = await clientMaskInput(
        clients.get(clientId)!,
        forwarded.get(clientId)!,
        encoded.get(clientId)!,
      );
      if (!answer.ok) throw new Error(answer.message);
      clients.set(clientId, answer.state);
      ok(await receiveMaskedInput(server, answer.message));
    }
    for (const m of ok(closeMaskedInput(server, mailbox))) {
      if (m.type !== "consistency_request") continue;
      const signed = await clientConsistencyCheck(clients.get(m.clientId)!, m);
      if (!signed.ok) throw new Error(signed.message);
      clients.set(m.clientId, signed.state);
      ok(await receiveConsistencySignature(server, signed.message));
    }
    const requests = new Map<string, UnmaskRequest>();
    for (const m of ok(closeConsistencyCheck(server, mailbox)))
      if (m.type === "unmask_request") requests.set(m.clientId, m);
    return { server, clients, requests };
  }

  it("refuses a request naming a neighbour as both survivor and dropped", async () => {
    const { clients, requests } = await toUnmask();
    const request = structuredClone(requests.get("a")!);
    expect(request.dropped).toEqual(["e"]);
    request.survivors.push("e");
    expect(await clientUnmask(clients.get("a")!, request)).toMatchObject({
      ok: false,
      code: "protocol_violation",
    });
  });

  it("refuses a second, different request after answering, and repeats the answer to the same one", async () => {
    const { clients, requests } = await toUnmask();
    const first = await clientUnmask(clients.get("a")!, requests.get("a")!);
    if (!first.ok) throw new Error(first.message);
    expect(first.message.maskKeyShares.map((s) => s.of)).toEqual(["e"]);
    expect(first.message.selfMaskShares.map((s) => s.of).sort()).toEqual(["b", "c", "d"]);
    const same = await clientUnmask(first.state, requests.get("a")!);
    expect(same.ok && same.message).toEqual(first.message);
    // The server now claims b dropped: answering would reveal b's mask key after its self-mask share.
    const switched = { ...requests.get("a")!, survivors: ["c", "d", "e"], dropped: ["b"] };
    expect(await clientUnmask(first.state, switched)).toMatchObject({ ok: false, code: "wrong_stage" });
  });

  it("has the server refuse a response revealing the wrong kind of share", async () => {
    const { server, clients, requests } = await toUnmask();
    const answer = await clientUnmask(clients.get("a")!, requests.get("a")!);
    if (!answer.ok) throw new Error(answer.message);
    const wrongKind = {
      ...answer.message,
      maskKeyShares: answer.message.selfMaskShares,
      selfMaskShares: answer.message.maskKeyShares,
    };
    expect(await receiveUnmaskResponse(server, wrongKind)).toMatchObject({
      ok: false,
      code: "invalid_message",
    });
    expect(await receiveUnmaskResponse(server, answer.message)).toMatchObject({ ok: true, duplicate: false });
  });
});
