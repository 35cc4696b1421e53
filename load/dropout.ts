// Where a client drops out of a round, drawn from the run's seed: with probability p per round,
// at one of five points chosen uniformly (before advertising its keys, or after sending any of the
// four messages before unmask). The same seed gives the same drops, so a run can be repeated.
import { roundSchedule } from "../core/federated.ts";

export const DROP_POINTS = [
  "before_advertise_keys",
  "advertise_keys",
  "share_keys",
  "masked_input",
  "consistency_check",
] as const;
export type DropPoint = (typeof DROP_POINTS)[number];

/** Keeps the dropout draws apart from the training randomness drawn from the same seed. */
const DROPOUT_STREAM = 0x64726f70;

/** Where client `client` drops out of round `round`, or undefined when it stays to the end. */
export function dropPoint(
  seed: number,
  probability: number,
  round: number,
  client: number,
): DropPoint | undefined {
  const random = roundSchedule(seed ^ DROPOUT_STREAM).randomFor(round, client);
  if (random() >= probability) return undefined;
  return DROP_POINTS[Math.floor(random() * DROP_POINTS.length)];
}

/** Thrown from a client's progress callback: the client goes silent, as if its process died. */
export class SimulatedDropout extends Error {
  override name = "SimulatedDropout";
}
