// The server's one dispatch over client messages: each kind reaches its stage's transition, and the
// message is hashed once, the digest coming back for the caller's receipt.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  type ClientMessage,
  type ClientState,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  closeStage,
  createServerRound,
  encode,
  type Mailbox,
  memoryMailbox,
  type ReceiveTransition,
  receiveMessage,
  type ServerMessage,
  type ServerState,
  STAGE,
  startClient,
} from "../../../../core/secagg/index.ts";
import { PROTOCOL_FLOORS, testConfig } from "./harness.ts";

const config = testConfig({ maxClients: 3, threshold: 2, vectorLength: 4 });
const IDS = ["a", "b", "c"];

/** Node's own SHA-256 as base64url: the reference the digests are checked against. */
const nodeDigest = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("base64url");
/** JSON with keys sorted at every level, written out here independently of core's canonical form. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}
const expectedDigest = (message: ClientMessage) =>
  message.type === "masked_input"
    ? nodeDigest(new Uint8Array(message.vector.buffer, message.vector.byteOffset, message.vector.byteLength))
    : nodeDigest(sortedJson(message));

function accepted(result: ReceiveTransition): Extract<ReceiveTransition, { ok: true }> {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result;
}

/** Sends `message` through the dispatch, counting the SHA-256 computations it makes. */
async function receiveCounting(server: ServerState, message: ClientMessage, mailbox: Mailbox) {
  const digest = vi.spyOn(crypto.subtle, "digest");
  const result = accepted(await receiveMessage(server, message, mailbox));
  const hashes = digest.mock.calls.length;
  digest.mockRestore();
  return { result, hashes };
}

afterEach(() => vi.restoreAllMocks());

describe("receiveMessage", () => {
  it("dispatches every kind of client message to its stage's transition, hashing each message once", async () => {
    const created = createServerRound(config, 3);
    if (!created.ok) throw new Error(created.message);
    const server = created.value;
    const mailbox = memoryMailbox();
    const clients = new Map<string, ClientState>();
    const deliver = async (
      outgoing: ServerMessage[],
      answer: (m: ServerMessage) => Promise<ClientMessage>,
    ) => {
      for (const message of outgoing) {
        const reply = await answer(message);
        const { result, hashes } = await receiveCounting(server, reply, mailbox);
        expect(hashes).toBe(1);
        expect(result.duplicate).toBe(false);
        expect(result.digest).toBe(expectedDigest(reply));
        expect(server.clients[reply.clientId]!.received[reply.stage]).toBe(result.digest);
      }
    };
    const closed = async () => {
      const result = await closeStage(server, mailbox);
      if (!result.ok) throw new Error(result.message);
      return result.outgoing;
    };

    // advertise_keys: the client is recorded with its keys.
    for (const id of IDS) {
      const started = await startClient(config, id, PROTOCOL_FLOORS);
      if (!started.ok) throw new Error(started.message);
      clients.set(id, started.state);
      const { result, hashes } = await receiveCounting(server, started.message, mailbox);
      expect(hashes).toBe(1);
      expect(result.digest).toBe(expectedDigest(started.message));
      expect(server.clients[id]!.maskPublicKey).toBe(started.message.maskPublicKey);
    }
    // share_keys: the sealed shares land in the neighbours' mailboxes.
    await deliver(await closed(), async (m) => {
      if (m.type !== "neighbour_keys") throw new Error(m.type);
      const answer = await clientShareKeys(clients.get(m.clientId)!, m);
      if (!answer.ok) throw new Error(answer.message);
      clients.set(m.clientId, answer.state);
      return answer.message;
    });
    expect(Object.keys(mailbox.inbox("a")).sort()).toEqual(["b", "c"]);
    // masked_input: the vector's digest is of its bytes.
    await deliver(await closed(), async (m) => {
      if (m.type !== "forwarded_shares") throw new Error(m.type);
      const update = Array.from({ length: config.vectorLength }, seededRandom(m.clientId.charCodeAt(0)));
      const encoded = encode(update, 1, config, seededRandom(1)).vector;
      const answer = await clientMaskInput(clients.get(m.clientId)!, m, encoded);
      if (!answer.ok) throw new Error(answer.message);
      clients.set(m.clientId, answer.state);
      return answer.message;
    });
    // consistency_signature: each survivor's signature of the survivor set is kept for its neighbours.
    await deliver(await closed(), async (m) => {
      if (m.type !== "consistency_request") throw new Error(m.type);
      expect(m.survivors).toEqual(IDS);
      const answer = await clientConsistencyCheck(clients.get(m.clientId)!, m);
      if (!answer.ok) throw new Error(answer.message);
      clients.set(m.clientId, answer.state);
      return answer.message;
    });
    expect(server.clients.a!.survivorSignature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    // unmask_response: the revealed shares are kept by owner and holder.
    await deliver(await closed(), async (m) => {
      if (m.type !== "unmask_request") throw new Error(m.type);
      const answer = await clientUnmask(clients.get(m.clientId)!, m);
      if (!answer.ok) throw new Error(answer.message);
      return answer.message;
    });
    expect(Object.keys(server.revealed.a!).sort()).toEqual(["b", "c"]);
    expect((await closeStage(server, mailbox)).ok).toBe(true);
    expect(server.stage).toBe(STAGE.DONE);
  });

  it("answers a repeat as a duplicate with the same digest and leaves the state as it was", async () => {
    const created = createServerRound(config, 3);
    if (!created.ok) throw new Error(created.message);
    const server = created.value;
    const started = await startClient(config, "a", PROTOCOL_FLOORS);
    if (!started.ok) throw new Error(started.message);
    const mailbox = memoryMailbox();
    const first = accepted(await receiveMessage(server, started.message, mailbox));
    const before = structuredClone(server);
    const { result: again, hashes } = await receiveCounting(server, { ...started.message }, mailbox);
    expect(hashes).toBe(1);
    expect(again.duplicate).toBe(true);
    expect(again.digest).toBe(first.digest);
    expect(server).toEqual(before);
  });

  it("refuses a message of another stage with the receive transitions' own code", async () => {
    const created = createServerRound(config, 3);
    if (!created.ok) throw new Error(created.message);
    const refused = await receiveMessage(
      created.value,
      {
        type: "masked_input",
        stage: STAGE.MASKED_INPUT,
        roundId: config.roundId,
        clientId: "a",
        vector: new Uint32Array(config.vectorLength + 1),
      },
      memoryMailbox(),
    );
    expect(refused).toMatchObject({ ok: false, code: "wrong_stage" });
  });
});
