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
