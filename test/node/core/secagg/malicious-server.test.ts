// The client against a server that lies: round configurations below the floors, unmask requests
// that would reveal both kinds of share of one peer or unmask a sum of too few, and different
// survivor sets told to different clients (met by the consistency check: each client signs the set
// it was sent and reveals nothing unless t of its neighbours signed that very set). The honest
// server state machine brings the round to each point; the script then alters what it tells the
// client. Every refusal is a typed failure with no message, so the client sends no share.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  type ClientState,
  type ClientTransition,
  type ConsistencyRequest,
  type ConsistencySignature,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  closeAdvertiseKeys,
  closeConsistencyCheck,
  closeMaskedInput,
  closeShareKeys,
  createServerRound,
  DEFAULT_FLOORS,
  encode,
  memoryMailbox,
  type PrivacyFloors,
  type RoundConfig,
  receiveAdvertiseKeys,
  receiveConsistencySignature,
  receiveMaskedInput,
  receiveShareKeys,
  type ServerMessage,
  type ServerTransition,
  STAGE,
  startClient,
  type UnmaskRequest,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

const IDS = ["a", "b", "c", "d", "e", "f"];

function ok(result: ServerTransition): ServerMessage[] {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.outgoing;
}

/** The refusal: a failure with this code, so the client has no message (no share) to send. */
function expectRefused(result: ClientTransition<unknown>, code: string, message: RegExp): void {
  expect(result.ok).toBe(false);
  expect(result).not.toHaveProperty("message.type");
  expect(result).toMatchObject({ ok: false, code });
  expect(!result.ok && result.message).toMatch(message);
}

const config = testConfig({ maxClients: 6, threshold: 4, vectorLength: 4 });

/**
 * A complete round of six clients (t = 4, the majority of six) under the SDK's floors, brought
 * honestly to the point where every client in `masking` has sent its masked input; the others
 * shared keys and then dropped.
 */
async function toMasked(floors: PrivacyFloors, masking: readonly string[]) {
  const created = createServerRound(config, 1);
  if (!created.ok) throw new Error(created.message);
  const server = created.value;
  const mailbox = memoryMailbox();
  const clients = new Map<string, ClientState>();
  for (const id of IDS) {
    const started = await startClient(config, id, floors);
    if (!started.ok) throw new Error(started.message);
    clients.set(id, started.state);
    ok(await receiveAdvertiseKeys(server, started.message));
  }
  for (const m of ok(closeAdvertiseKeys(server))) {
    if (m.type !== "neighbour_keys") continue;
    const answer = await clientShareKeys(clients.get(m.clientId)!, m);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(m.clientId, answer.state);
    ok(await receiveShareKeys(server, answer.message, mailbox));
  }
  for (const m of ok(closeShareKeys(server, mailbox))) {
    if (m.type !== "forwarded_shares" || !masking.includes(m.clientId)) continue;
    const encoded = encode([0.1, 0.2, 0.3, 0.4], 1, config, seededRandom(m.clientId.charCodeAt(0))).vector;
    const answer = await clientMaskInput(clients.get(m.clientId)!, m, encoded);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(m.clientId, answer.state);
    ok(await receiveMaskedInput(server, answer.message));
  }
  return { server, mailbox, clients };
}

/** The six brought honestly to the unmask stage, f dropped before masking: a's state and its request. */
async function toUnmask(floors: PrivacyFloors = DEFAULT_FLOORS) {
  const { server, mailbox, clients } = await toMasked(floors, ["a", "b", "c", "d", "e"]);
  for (const m of ok(closeMaskedInput(server, mailbox))) {
    if (m.type !== "consistency_request") continue;
    const signed = await clientConsistencyCheck(clients.get(m.clientId)!, m);
    if (!signed.ok) throw new Error(signed.message);
    clients.set(m.clientId, signed.state);
    ok(await receiveConsistencySignature(server, signed.message));
  }
  const request = ok(closeConsistencyCheck(server, mailbox)).find(
    (m): m is UnmaskRequest => m.type === "unmask_request" && m.clientId === "a",
  )!;
  return { client: clients.get("a")!, request };
}

describe("a client refuses a round configuration below its floors", () => {
  const refusals: [string, RoundConfig, RegExp][] = [
    [
      "t = 1 with k = 6 (a federation the edge accepted)",
      testConfig({ maxClients: 10, neighbourDegree: 6, threshold: 1 }),
      /not a strict majority/,
    ],
    [
      "t = k / 2 (two disjoint halves of the neighbours)",
      testConfig({ maxClients: 10, neighbourDegree: 6, threshold: 3 }),
      /not a strict majority/,
    ],
    [
      "t = n / 2 in a complete round of 6",
      testConfig({ maxClients: 6, neighbourDegree: "complete", threshold: 3 }),
      /not a strict majority/,
    ],
    [
      "t below the minimum threshold",
      testConfig({ maxClients: 10, neighbourDegree: 2, threshold: 2 }),
      /below the minimum threshold 3/,
    ],
    [
      "a cohort below the minimum",
      testConfig({ maxClients: 4, neighbourDegree: "complete", threshold: 3 }),
      /below the minimum cohort of 5/,
    ],
  ];
  for (const [what, config, reason] of refusals)
    it(`refuses ${what} before making any key`, async () => {
      expectRefused(await startClient(config, "a"), "below_floor", reason);
    });

  it("holds an app's raised floors, and accepts a round that meets them", async () => {
    const config = testConfig({ maxClients: 6, threshold: 4 });
    const raised = { ...DEFAULT_FLOORS, minCohort: 8 };
    expectRefused(await startClient(config, "a", raised), "below_floor", /minimum cohort of 8/);
    const accepted = await startClient(config, "a");
    expect(accepted.ok && accepted.message.type).toBe("advertise_keys");
  });
});

describe("a client refuses an unmask request that could expose an input", () => {
  it("answers the honest request: self-mask shares of the survivors, the mask-key share of f", async () => {
    const { client, request } = await toUnmask();
    expect(request).toMatchObject({
      survivors: ["b", "c", "d", "e"],
      dropped: ["f"],
      roundSurvivors: ["a", "b", "c", "d", "e"],
    });
    const answer = await clientUnmask(structuredClone(client), request);
    if (!answer.ok) throw new Error(answer.message);
    expect(answer.message.maskKeyShares.map((s) => s.of)).toEqual(["f"]);
  });

  const lies: [string, (r: UnmaskRequest) => UnmaskRequest, string, RegExp][] = [
    [
      "lists a peer as survivor and as dropped",
      (r) => ({ ...r, survivors: [...r.survivors, "f"], roundSurvivors: [...r.roundSurvivors, "f"] }),
      "protocol_violation",
      /exactly once/,
    ],
    [
      "names a surviving peer twice",
      (r) => ({ ...r, survivors: [...r.survivors, "b"] }),
      "protocol_violation",
      /exactly once/,
    ],
    [
      "names a dropped peer twice",
      (r) => ({ ...r, dropped: ["f", "f"] }),
      "protocol_violation",
      /exactly once/,
    ],
    [
      "sums a peer it calls dropped here (others are asked for its self mask)",
      (r) => ({ ...r, roundSurvivors: [...r.roundSurvivors, "f"] }),
      "protocol_violation",
      /disagree/,
    ],
    [
      "calls a peer a survivor here that the sum does not hold",
      (r) => ({ ...r, roundSurvivors: r.roundSurvivors.filter((id) => id !== "e") }),
      "protocol_violation",
      /disagree/,
    ],
    [
      "names a client twice among the round's survivors",
      (r) => ({ ...r, roundSurvivors: [...r.roundSurvivors, "b"] }),
      "protocol_violation",
      /twice/,
    ],
    [
      "leaves this client out of the round's survivors",
      (r) => ({ ...r, roundSurvivors: r.roundSurvivors.filter((id) => id !== "a") }),
      "protocol_violation",
      /do not contain this client/,
    ],
    [
      "pads the round's survivors past the round's size",
      (r) => ({ ...r, roundSurvivors: [...r.roundSurvivors, "x", "y"] }),
      "protocol_violation",
      /more than the round's 6/,
    ],
    [
      "pads the round's survivors with a client this complete round does not hold",
      (r) => ({ ...r, roundSurvivors: [...r.roundSurvivors, "x"] }),
      "protocol_violation",
      /not a live neighbour in this complete round/,
    ],
    [
      "unmasks a sum of 4, below the 5 survivors (e and f called dropped)",
      (r) => ({
        ...r,
        survivors: ["b", "c", "d"],
        dropped: ["e", "f"],
        roundSurvivors: ["a", "b", "c", "d"],
      }),
      "below_floor",
      /holds 4 inputs, below the minimum of 5 survivors/,
    ],
  ];
  for (const [what, lie, code, reason] of lies)
    it(`refuses a request that ${what}, revealing nothing`, async () => {
      const { client, request } = await toUnmask();
      const before = structuredClone(client);
      expectRefused(await clientUnmask(client, lie(structuredClone(request))), code, reason);
      // The state is as it was: nothing was revealed, and the honest request can still be answered.
      expect(client).toEqual(before);
      expect(client.stage).toBe(STAGE.CONSISTENCY_CHECK);
      expect((await clientUnmask(client, request)).ok).toBe(true);
    });

  it("refuses an honest sum of 5 when the app raised its minimum to 6 survivors", async () => {
    const { client, request } = await toUnmask({ ...DEFAULT_FLOORS, minSurvivors: 6 });
    expectRefused(await clientUnmask(client, request), "below_floor", /below the minimum of 6 survivors/);
  });
});

/** Each client signs the survivor set the scripted server sends it. */
async function signViews(clients: Map<string, ClientState>, views: Record<string, string[]>) {
  const signatures = new Map<string, ConsistencySignature>();
  for (const [id, survivors] of Object.entries(views)) {
    const request: ConsistencyRequest = {
      type: "consistency_request",
      stage: "consistency_check",
      roundId: config.roundId,
      clientId: id,
      survivors,
    };
    const signed = await clientConsistencyCheck(clients.get(id)!, request);
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
    roundSurvivors: survivors,
    signatures: signers.map((by) => ({ by, signature: signatures.get(by)!.signature })),
  };
}

const EVERYONE = ["a", "b", "c", "d", "e", "f"];
/** The lie: f's input arrived, but c and d are told it did not (so they would reveal f's mask key). */
const WITHOUT_F = ["a", "b", "c", "d", "e"];

describe("a server that sends different survivor sets to different clients", () => {
  it("gets no shares: each client refuses without t of its neighbours' signatures of the set it signed", async () => {
    const { clients } = await toMasked(DEFAULT_FLOORS, EVERYONE);
    const signatures = await signViews(clients, {
      a: EVERYONE,
      b: EVERYONE,
      e: EVERYONE,
      f: EVERYONE,
      c: WITHOUT_F,
      d: WITHOUT_F,
    });
    // a was told everyone survived: it would reveal f's self-mask share. Only b, e and f signed its set.
    const forA = unmaskRequest("a", EVERYONE, signatures, ["b", "c", "d", "e", "f"]);
    const toA = await clientUnmask(clients.get("a")!, forA);
    expectRefused(toA, "consistency_check_failed", /signature by c is not a valid signature/);
    // c was told f dropped: it would reveal f's mask key. Only d signed its set.
    const forC = unmaskRequest("c", WITHOUT_F, signatures, ["a", "b", "d", "e"]);
    expectRefused(await clientUnmask(clients.get("c")!, forC), "consistency_check_failed", /not a valid/);
    // Forwarding only the signatures that do verify leaves each side short of t = 4.
    for (const [id, view, signers] of [
      ["a", EVERYONE, ["b", "e", "f"]],
      ["c", WITHOUT_F, ["d"]],
    ] as const) {
      const refused = await clientUnmask(clients.get(id)!, unmaskRequest(id, view, signatures, [...signers]));
      expectRefused(refused, "consistency_check_failed", /neighbours signed the survivor set; 4 needed/);
    }
  });

  it("cannot have a client unmask for a split other than the set it signed, even with valid signatures", async () => {
    const { clients } = await toMasked(DEFAULT_FLOORS, EVERYONE);
    const signatures = await signViews(clients, Object.fromEntries(EVERYONE.map((id) => [id, EVERYONE])));
    // Everyone signed the true set, but the request to a claims f dropped.
    const lying = unmaskRequest("a", WITHOUT_F, signatures, ["b", "c", "d", "e", "f"]);
    expectRefused(
      await clientUnmask(clients.get("a")!, lying),
      "consistency_check_failed",
      /differ from the survivor set this client signed/,
    );
    // The honest request, with the same signatures, is answered: the refusal was the lie's doing.
    const honest = await clientUnmask(
      clients.get("a")!,
      unmaskRequest("a", EVERYONE, signatures, ["b", "c", "d", "e", "f"]),
    );
    expect(honest.ok && honest.message.selfMaskShares.map((s) => s.of)).toEqual(["b", "c", "d", "e", "f"]);
  });

  it("cannot collect one client's signature on two different sets", async () => {
    const { clients } = await toMasked(DEFAULT_FLOORS, EVERYONE);
    await signViews(clients, { a: EVERYONE });
    const second = await clientConsistencyCheck(clients.get("a")!, {
      type: "consistency_request",
      stage: "consistency_check",
      roundId: config.roundId,
      clientId: "a",
      survivors: WITHOUT_F,
    });
    expect(second).toMatchObject({ ok: false, code: "wrong_stage" });
  });
});
