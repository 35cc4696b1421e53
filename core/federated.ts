// The contract every federated algorithm in fedrouter follows: clients contribute vectors of sums,
// an aggregator adds them, and a finalise step turns the total into the next global state.
// Because only the total is ever needed, secure aggregation can stand in for the plain sum.
import type { ModelFile } from "./model-file.ts";
import { fmix32, type Random, seededRandom, shuffle } from "./random.ts";

/**
 * A federated algorithm as a sequence of passes. Each pass is one aggregation: every
 * participating client computes `contribute(global, data)` (a vector of sums, weights inside),
 * the vectors are added, and `finalise(global, total)` gives the next global state.
 * No step may look at a single client's vector.
 */
export interface FederatedAlgorithm<Global, ClientData> {
  /** Length of the contribution vector that clients send for this global state. */
  contributionLength(global: Global): number;
  /** One client's contribution: sums over its own data only (async where local training runs in WASM). */
  contribute(global: Global, data: ClientData, random: Random): Float64Array | Promise<Float64Array>;
  /** The next global state from the sum of the participants' contributions. */
  finalise(global: Global, total: Float64Array): Global;
  /** Whether training has finished (no further pass). */
  done(global: Global): boolean;
  /**
   * The share of clients this pass needs when it is not the round's usual one (e.g. 1 for a pass
   * every client should join); undefined: the round's participation fraction.
   */
  passFraction?(global: Global): number | undefined;
  /**
   * The global state as a router model file. Every pass publishes one, so the edge stores and
   * serves a single format and clients read the state they contribute against from it.
   */
  toModelFile(global: Global): ModelFile;
  fromModelFile(file: ModelFile): Global;
}

/** Adds contributions element-wise: the plain aggregator (secure aggregation computes the same). */
export function sumContributions(contributions: readonly Float64Array[], length: number): Float64Array {
  const total = new Float64Array(length);
  for (const contribution of contributions) addContribution(total, contribution);
  return total;
}

/** Adds one contribution into a running total in place. */
export function addContribution(total: Float64Array, contribution: Float64Array): void {
  if (contribution.length !== total.length) {
    throw new RangeError(`contribution has length ${contribution.length}, expected ${total.length}`);
  }
  for (let i = 0; i < total.length; i++) total[i]! += contribution[i]!;
}

/** Chooses a round's participants: a seeded sample of round(fraction * clients), at least one. */
export function sampleParticipants(random: Random, clientCount: number, fraction: number): number[] {
  if (!(fraction > 0 && fraction <= 1))
    throw new RangeError(`participation fraction must be in (0, 1], got ${fraction}`);
  const size = Math.max(1, Math.round(clientCount * fraction));
  const ids = shuffle(
    random,
    Array.from({ length: clientCount }, (_, i) => i),
  );
  return ids.slice(0, size).sort((a, b) => a - b);
}

/**
 * Who takes part in each pass and the randomness each participant trains with, all derived from
 * one seed. A simulation and a run over the network that share the seed choose the same cohorts
 * and train the same local models, so their results can be compared number for number.
 */
export interface RoundSchedule {
  /** The participants of `pass` (indices into the client list, ascending). */
  participants(pass: number, clientCount: number, fraction: number): number[];
  /** The random stream client `client` uses for its contribution in `pass`. */
  randomFor(pass: number, client: number): Random;
}

/** Mixes integers into one 32-bit seed (murmur3's finaliser after each word). */
function mixSeed(...words: number[]): number {
  let h = 0x811c9dc5;
  for (const word of words) {
    h = fmix32(Math.imul(h ^ (word >>> 0), 0x9e3779b1));
  }
  return h >>> 0;
}

export function roundSchedule(seed: number): RoundSchedule {
  return {
    participants: (pass, clientCount, fraction) =>
      sampleParticipants(seededRandom(mixSeed(seed, pass, 0x70617373)), clientCount, fraction),
    randomFor: (pass, client) => seededRandom(mixSeed(seed, pass, client, 0x636c6e74)),
  };
}

export interface SimulationOptions {
  /** Share of clients sampled for each pass (default 1: everyone, every pass). */
  fraction?: number;
  /** Draws the schedule's seed when no schedule is given. */
  random: Random;
  /** Cohorts and per-client randomness; default: a schedule seeded from `random`. */
  schedule?: RoundSchedule;
  /** Called after each pass with its number and participants. */
  onPass?: (pass: number, participants: number[]) => void;
  /** Safety bound on the number of passes. */
  maxPasses?: number;
}

/** Runs an algorithm to completion in memory with a plain sum as the aggregator. */
export async function simulate<Global, ClientData>(
  algorithm: FederatedAlgorithm<Global, ClientData>,
  initial: Global,
  clients: readonly ClientData[],
  options: SimulationOptions,
): Promise<Global> {
  let global = initial;
  const maxPasses = options.maxPasses ?? 10_000;
  const schedule = options.schedule ?? roundSchedule(Math.floor(options.random() * 2 ** 32));
  for (let pass = 0; !algorithm.done(global); pass++) {
    if (pass >= maxPasses) throw new RangeError(`training did not finish within ${maxPasses} passes`);
    const fraction = algorithm.passFraction?.(global) ?? options.fraction ?? 1;
    const participants = schedule.participants(pass, clients.length, fraction);
    const length = algorithm.contributionLength(global);
    // A running sum, in the participants' order (the same additions as summing them at the end):
    // holding every contribution until the pass ends took 600 x 796,000 doubles (3.8 GB) a round
    // for the MLP at 1,000 clients.
    const total = new Float64Array(length);
    for (const id of participants) {
      const random = schedule.randomFor(pass, id);
      addContribution(total, await algorithm.contribute(global, clients[id] as ClientData, random));
    }
    global = algorithm.finalise(global, total);
    options.onPass?.(pass, participants);
  }
  return global;
}
