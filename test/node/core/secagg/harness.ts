// Drives a whole secure-aggregation round in memory (clients, server, dropouts) for the tests.
import type { Random } from "../../../../core/random.ts";
import { seededRandom } from "../../../../core/random.ts";
import {
  addMaskedInput,
  type ClientMessage,
  type ClientState,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  closeAdvertiseKeys,
  closeConsistencyCheck,
  closeMaskedInput,
  closeShareKeys,
  closeUnmask,
  createServerRound,
  encode,
  type Mailbox,
  maskedLength,
  memoryMailbox,
  type PrivacyFloors,
  participants,
  type RoundConfig,
  receiveAdvertiseKeys,
  receiveConsistencySignature,
  receiveMaskedInput,
  receiveShareKeys,
  receiveUnmaskResponse,
  type ServerMessage,
  type ServerState,
  type ServerTransition,
  STAGE,
  startClient,
  sumEncoded,
  type UnmaskResponse,
  unmaskTotal,
} from "../../../../core/secagg/index.ts";

/** Clients that stop answering from a given point on. */
export interface Dropouts {
  /** Advertise keys, then vanish before sharing them. */
  beforeShareKeys?: string[];
  /** Share keys, then vanish before sending a masked input. */
  afterShareKeys?: string[];
  /** Send a masked input, then never sign the survivor set (nor answer the unmask request). */
  afterMaskedInput?: string[];
  /** Sign the survivor set, then never answer the unmask request. */
  afterConsistencyCheck?: string[];
}

export interface ClientInput {
  clientId: string;
  update: ArrayLike<number>;
  weight: number;
}

export interface RoundOutcome {
  server: ServerState;
  /** Where the sealed shares waited (empty once the masked inputs are in). */
  mailbox: Mailbox;
  /** The unmasked total, when the round finished. */
  total?: Uint32Array;
  /** The plain sum of the encoded updates of the clients whose masked input was accepted. */
  expected: Uint32Array;
  encoded: Map<string, Uint32Array>;
  clients: Map<string, ClientState>;
  /** Every message that passed through the server, in order. */
  transcript: (ClientMessage | ServerMessage)[];
}

/**
 * Floors of the protocol alone (the strict majority threshold still applies): these tests run
 * cohorts smaller than the SDK's floors; the floors have their own tests.
 */
export const PROTOCOL_FLOORS: PrivacyFloors = { minThreshold: 1, minCohort: 1, minSurvivors: 1 };

export interface RoundOptions {
  dropouts?: Dropouts;
  /** Rounding randomness per client (seeded by default so runs are reproducible). */
  randomFor?: (clientId: string) => Random;
  /** Serialise and parse the server state after every transition, as a Durable Object would. */
  roundTripState?: boolean;
  /**
   * Serialise and parse each client's state between its messages, as a client that stored it would:
   * the keys it derived earlier in the round are then derived again (core/secagg/client.ts).
   */
  roundTripClients?: boolean;
  graphSeed?: number;
  /** What each client's unmask response becomes on its way to the server (a malicious client's lie). */
  tamperUnmask?: (response: UnmaskResponse, server: ServerState) => UnmaskResponse;
}

function expectOk(
  result: ServerTransition | { ok: false; code: string; message: string },
): asserts result is Extract<ServerTransition, { ok: true }> {
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
}

export async function runRound(
  config: RoundConfig,
  inputs: ClientInput[],
  options: RoundOptions = {},
): Promise<RoundOutcome> {
  const drop = options.dropouts ?? {};
  const gone = new Set<string>();
  const transcript: (ClientMessage | ServerMessage)[] = [];
  const created = createServerRound(config, options.graphSeed ?? 7);
  if (!created.ok) throw new Error(created.message);
  let server = created.value;
  const mailbox = memoryMailbox();
  const persist = (s: ServerState): ServerState =>
    options.roundTripState ? JSON.parse(JSON.stringify(s)) : s;
  const clients = new Map<string, ClientState>();
  const clientState = (id: string): ClientState => {
    const state = clients.get(id)!;
    return options.roundTripClients ? JSON.parse(JSON.stringify(state)) : state;
  };
  const encoded = new Map<string, Uint32Array>();
  let total: Uint32Array = new Uint32Array(maskedLength(config));
  // A function, not an inline test, so TypeScript does not narrow the stage across awaits.
  const aborted = (): boolean => server.stage === STAGE.ABORTED;

  const step = async (transition: Promise<ServerTransition> | ServerTransition): Promise<ServerMessage[]> => {
    const result = await transition;
    expectOk(result);
    server = persist(result.state);
    transcript.push(...result.outgoing);
    return result.outgoing;
  };

  for (const input of inputs) {
    const started = await startClient(config, input.clientId, PROTOCOL_FLOORS);
    if (!started.ok) throw new Error(started.message);
    clients.set(input.clientId, started.state);
    transcript.push(started.message);
    await step(receiveAdvertiseKeys(server, started.message));
    const random =
      options.randomFor?.(input.clientId) ??
      seededRandom(input.clientId.length * 7919 + inputs.indexOf(input));
    encoded.set(input.clientId, encode(input.update, input.weight, config, random).vector);
  }

  let outgoing = await step(closeAdvertiseKeys(server));
  for (const id of drop.beforeShareKeys ?? []) gone.add(id);
  for (const message of outgoing) {
    if (message.type !== "neighbour_keys" || gone.has(message.clientId)) continue;
    const answer = await clientShareKeys(clientState(message.clientId), message);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(message.clientId, answer.state);
    transcript.push(answer.message);
    await step(receiveShareKeys(server, answer.message, mailbox));
  }
  if (aborted()) return { server, mailbox, expected: new Uint32Array(0), encoded, clients, transcript };

  outgoing = await step(closeShareKeys(server, mailbox));
  for (const id of drop.afterShareKeys ?? []) gone.add(id);
  for (const message of outgoing) {
    if (message.type !== "forwarded_shares" || gone.has(message.clientId)) continue;
    const answer = await clientMaskInput(
      clientState(message.clientId),
      message,
      encoded.get(message.clientId)!,
    );
    if (!answer.ok) throw new Error(answer.message);
    clients.set(message.clientId, answer.state);
    transcript.push(answer.message);
    const result = await receiveMaskedInput(server, answer.message);
    expectOk(result);
    server = persist(result.state);
    if (!result.duplicate) addMaskedInput(total, answer.message.vector);
  }
  if (aborted()) return { server, mailbox, expected: new Uint32Array(0), encoded, clients, transcript };

  outgoing = await step(closeMaskedInput(server, mailbox));
  const survivors = participants(server, STAGE.MASKED_INPUT);
  const expected = sumEncoded(
    survivors.map((id) => encoded.get(id)!),
    maskedLength(config),
  );
  for (const id of drop.afterMaskedInput ?? []) gone.add(id);
  for (const message of outgoing) {
    if (message.type !== "consistency_request" || gone.has(message.clientId)) continue;
    const answer = await clientConsistencyCheck(clients.get(message.clientId)!, message);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(message.clientId, answer.state);
    transcript.push(answer.message);
    await step(receiveConsistencySignature(server, answer.message));
  }
  if (aborted()) return { server, mailbox, expected, encoded, clients, transcript };

  outgoing = await step(closeConsistencyCheck(server, mailbox));
  for (const id of drop.afterConsistencyCheck ?? []) gone.add(id);
  for (const message of outgoing) {
    if (message.type !== "unmask_request" || gone.has(message.clientId)) continue;
    const answer = await clientUnmask(clients.get(message.clientId)!, message);
    if (!answer.ok) throw new Error(answer.message);
    clients.set(message.clientId, answer.state);
    const response = options.tamperUnmask?.(answer.message, server) ?? answer.message;
    transcript.push(response);
    await step(receiveUnmaskResponse(server, response));
  }
  if (aborted()) return { server, mailbox, expected, encoded, clients, transcript };

  await step(closeUnmask(server));
  if (server.stage !== STAGE.DONE) return { server, mailbox, expected, encoded, clients, transcript };
  const unmasked = await unmaskTotal(server, total);
  if (!unmasked.ok) throw new Error(unmasked.message);
  total = unmasked.value;
  return { server, mailbox, total, expected, encoded, clients, transcript };
}

/** A round configuration for tests, overridable field by field. */
export function testConfig(overrides: Partial<RoundConfig> = {}): RoundConfig {
  return {
    roundId: "round-1",
    curve: "X25519",
    maxClients: 10,
    // The strict majority of a complete round of 10: each client and its 9 neighbours.
    threshold: 6,
    neighbourDegree: "complete",
    vectorLength: 16,
    clip: { min: -1, max: 1 },
    scale: 2 ** 16,
    maxWeight: 100,
    ...overrides,
  };
}

/** n clients with seeded random updates in [-1.2, 1.2] (some clipped) and integer weights in [1, 100]. */
export function randomInputs(count: number, length: number, seed: number): ClientInput[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    clientId: `client-${String(i).padStart(3, "0")}`,
    update: Float64Array.from({ length }, () => (random() * 2 - 1) * 1.2),
    weight: 1 + Math.floor(random() * 100),
  }));
}
