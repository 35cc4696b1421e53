// Command-line values of the load tools (npm run load, npm run load:cost).
import { InvalidArgumentError } from "commander";

/** A commander parser of a number in [min, max], an integer unless `integer` is false. */
export function numberIn(min: number, max: number, integer = true) {
  return (value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed)))
      throw new InvalidArgumentError(`expected ${integer ? "an integer" : "a number"} in [${min}, ${max}]`);
    return parsed;
  };
}

/**
 * The stage deadlines (seconds) `npm run load` gives a cohort unless told: what honest clients need
 * when all of them share this machine's 2 cores with the edge (docs/load.md), the deadlines the
 * measured runs used. K-means: 15 s up to 150 clients, 30 s up to 500, 60 s above, the advertise
 * stage twice that. The MLP: 60 s, and 180 s to advertise, since its clients train first. With the
 * stage quorum a long deadline costs nothing while clients answer.
 */
export function defaultDeadlines(clients: number, router: string): { stage: number; advertise: number } {
  if (router === "mlp") return { stage: 60, advertise: 180 };
  const stage = clients <= 150 ? 15 : clients <= 500 ? 30 : 60;
  return { stage, advertise: 2 * stage };
}
