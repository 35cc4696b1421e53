// A router kind's hyperparameter schema: which names it knows and what each holds, checked once
// at the boundary (federation creation) with messages for people.
import type { Hyperparameters } from "./kind.ts";

/** Per name: a finite number, or one of a list of words. */
export type HyperparameterSchema = Readonly<Record<string, "number" | readonly string[]>>;

/** The values `schema` knows, or a refusal naming the first value it cannot take. */
export function readHyperparameters(
  values: Hyperparameters,
  schema: HyperparameterSchema,
): Record<string, number | string> | string {
  const known = Object.keys(schema);
  const out: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(values)) {
    const type = schema[key];
    if (type === undefined) return `unknown hyperparameter "${key}" (known: ${known.join(", ")})`;
    if (type === "number") {
      if (typeof value !== "number" || !Number.isFinite(value))
        return `hyperparameter "${key}" must be a number`;
    } else if (typeof value !== "string" || !type.includes(value)) {
      return `hyperparameter "${key}" must be ${type.map((word) => `"${word}"`).join(" or ")}`;
    }
    out[key] = value;
  }
  return out;
}

/** As readHyperparameters, throwing the refusal as a RangeError. */
export function requireHyperparameters(
  values: Hyperparameters,
  schema: HyperparameterSchema,
): Record<string, number | string> {
  const read = readHyperparameters(values, schema);
  if (typeof read === "string") throw new RangeError(read);
  return read;
}

/** The refusal a builder throws for `setup`, or undefined when it builds. */
export function refusalOf(build: () => unknown): string | undefined {
  try {
    build();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
