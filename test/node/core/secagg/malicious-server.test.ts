// A malicious server that tells different clients different survivor sets (to have some reveal a
// client's self-mask share and others its mask key, and so unmask that client's input alone). With
// the consistency check each client signs the set it was sent, and reveals nothing unless t of its
// neighbours signed that very set: the scripted server below gets no share from anyone.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  type ClientState,
  type ConsistencySignature,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  closeAdvertiseKeys,
  closeShareKeys,
  createServerRound,
  encode,
  receiveAdvertiseKeys,
  receiveMaskedInput,
  receiveShareKeys,
  type ServerMessage,
  type ServerTransition,
  startClient,
  type UnmaskRequest,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

const IDS = ["a", "b", "c", "d", "e"];
// Complete graph of 5: k = 4 neighbours each, t = 3 > k / 2.
const config = testConfig({ maxClients: 5, threshold: 3, vectorLength: 4 });

function ok(result: ServerTransition): ServerMessage[] {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.outgoing;
}

/** Five clients that have all sent their masked inputs; from here on the server is scripted. */
async function everyoneMasked(): Promise<Map<string, ClientState>> {
  const created = createServerRound(config, 1);
  if (!created.ok) throw new Error(created.message);
  const server = created.value;
  const clients = new Map<string, ClientState>();
  for (const id of IDS) {
    const started = await startClient(config, id);
    if (!started.ok) throw new Error(started.message);
    clients.set(id, started.state);
    ok(await receiveAdvertiseKeys(server, started.message));
  }
  for (const m of ok(closeAdvertiseKeys(server))) {
    if (m.type !== "neighbour_keys") continue;
    const answer = await clientShareKeys(clients.get(m.clientId)!, m);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(m.clientId, answer.state);
    ok(await receiveShareKeys(server, answer.message));
  }
  for (const m of ok(closeShareKeys(server))) {
    if (m.type !== "forwarded_shares") continue;
    const encoded = encode([0.1, 0.2, 0.3, 0.4], 1, config, seededRandom(m.clientId.charCodeAt(0))).vector;
    const answer = await clientMaskInput(clients.get(m.clientId)!, m, encoded);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(m.clientId, answer.state);
    ok(await receiveMaskedInput(server, answer.message));
  }
  return clients;
}

/** Each client signs the survivor set the scripted server sends it. */
async function signViews(clients: Map<string, ClientState>, views: Record<string, string[]>) {
  const signatures = new Map<string, ConsistencySignature>();
  for (const [id, survivors] of Object.entries(views)) {
    const signed = await clientConsistencyCheck(clients.get(id)!, {
      type: "consistency_request",
      stage: "consistency_check",
      roundId: config.roundId,
      clientId: id,
      survivors,
    });
    if (!signed.ok) throw new Error(signed.message);
    clients.set(id, signed.state);
    signatures.set(id, signed.message);
  }
  return signatures;
}

/** An unmask request for `id` splitting its neighbours by `survivors`, carrying the given signers' signatures. */
function unmaskRequest(
  id: string,
  survivors: string[],
  signatures: Map<string, ConsistencySignature>,
  signers: string[],
): UnmaskRequest {
  const neighbours = IDS.filter((other) => other !== id);
  return {
    type: "unmask_request",
    stage: "unmask",
    roundId: config.roundId,
    clientId: id,
    survivors: neighbours.filter((n) => survivors.includes(n)),
    dropped: neighbours.filter((n) => !survivors.includes(n)),
    signatures: signers.map((by) => ({ by, signature: signatures.get(by)!.signature })),
  };
}

const EVERYONE = ["a", "b", "c", "d", "e"];
/** The lie: e's input arrived, but c and d are told it did not (so they would reveal e's mask key). */
const WITHOUT_E = ["a", "b", "c", "d"];

describe("a server that sends different survivor sets to different clients", () => {
  it("gets no shares: each client refuses without t of its neighbours' signatures of the set it signed", async () => {
    const clients = await everyoneMasked();
    const signatures = await signViews(clients, {
      a: EVERYONE,
      b: EVERYONE,
      e: EVERYONE,
      c: WITHOUT_E,
      d: WITHOUT_E,
    });
    // a was told everyone survived: it would reveal e's self-mask share. Only b and e signed its set.
    const forA = unmaskRequest("a", EVERYONE, signatures, ["b", "c", "d", "e"]);
    const toA = await clientUnmask(clients.get("a")!, forA);
    expect(toA).toMatchObject({ ok: false, code: "consistency_check_failed" });
    expect(toA.ok || toA.message).toMatch(/signature by c is not a valid signature/);
    // c was told e dropped: it would reveal e's mask key. Only d signed its set.
    const forC = unmaskRequest("c", WITHOUT_E, signatures, ["a", "b", "d", "e"]);
    const toC = await clientUnmask(clients.get("c")!, forC);
    expect(toC).toMatchObject({ ok: false, code: "consistency_check_failed" });
    // Forwarding only the signatures that do verify leaves each side short of t = 3.
    for (const [id, view, signers] of [
      ["a", EVERYONE, ["b", "e"]],
      ["c", WITHOUT_E, ["d"]],
    ] as const) {
      const refused = await clientUnmask(clients.get(id)!, unmaskRequest(id, view, signatures, [...signers]));
      expect(refused).toMatchObject({ ok: false, code: "consistency_check_failed" });
      expect(refused.ok || refused.message).toMatch(/neighbours signed the survivor set; 3 needed/);
    }
  });

  it("cannot have a client unmask for a split other than the set it signed, even with valid signatures", async () => {
    const clients = await everyoneMasked();
    const signatures = await signViews(clients, {
      a: EVERYONE,
      b: EVERYONE,
      c: EVERYONE,
      d: EVERYONE,
      e: EVERYONE,
    });
    // Everyone signed the true set, but the request to a claims e dropped.
    const lying = unmaskRequest("a", WITHOUT_E, signatures, ["b", "c", "d", "e"]);
    expect(await clientUnmask(clients.get("a")!, lying)).toMatchObject({
      ok: false,
      code: "consistency_check_failed",
      message: expect.stringMatching(/differ from the survivor set this client signed/),
    });
    // The honest request, with the same signatures, is answered: the refusal was the lie's doing.
    const honest = await clientUnmask(
      clients.get("a")!,
      unmaskRequest("a", EVERYONE, signatures, ["b", "c", "d", "e"]),
    );
    expect(honest.ok && honest.message.selfMaskShares.map((s) => s.of)).toEqual(["b", "c", "d", "e"]);
  });

  it("cannot collect one client's signature on two different sets", async () => {
    const clients = await everyoneMasked();
    await signViews(clients, { a: EVERYONE });
    const second = await clientConsistencyCheck(clients.get("a")!, {
      type: "consistency_request",
      stage: "consistency_check",
      roundId: config.roundId,
      clientId: "a",
      survivors: WITHOUT_E,
    });
    expect(second).toMatchObject({ ok: false, code: "wrong_stage" });
  });
});
