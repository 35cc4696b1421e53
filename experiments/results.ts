// Reads an experiment's results JSON back, including files written before its keys took the
// project's British spelling (`centralized`, `personalized`, ...), for `fedrouter table`.
import { readFileSync } from "node:fs";
import * as z from "zod";
import { DataError } from "./data/errors.ts";
import type { ExperimentResult } from "./harness.ts";

/** Keys that results JSON carried before the rename, and their names now. */
const RENAMED: Readonly<Record<string, string>> = {
  centralized: "centralised",
  personalized: "personalised",
  personalizedFixed: "personalisedFixed",
  personalizedAdaptive: "personalisedAdaptive",
  personalizedMinusBest: "personalisedMinusBest",
};

// JSON.stringify writes a NaN AUC as null; reading it back as NaN prints the same blank cell.
const auc = z.union([z.number(), z.null().transform(() => Number.NaN)]);

const clientSchema = z.looseObject({
  id: z.number(),
  nTrain: z.number(),
  nTest: z.number(),
  tasks: z.record(z.string(), z.number()),
  ownTest: z.object({ local: auc, federated: auc, centralised: auc }).catchall(auc),
  mixture: z.object({ quality: z.array(z.number()), cost: z.array(z.number()) }).optional(),
  ownTestSe: z
    .object({
      resamples: z.number(),
      localMinusFederated: auc,
      personalisedMinusBest: auc.optional(),
      minusBest: z.record(z.string(), auc).optional(),
    })
    .optional(),
  evidenceWeights: z.object({ quality: z.array(z.number()), cost: z.array(z.number()) }).optional(),
});

const resultSchema: z.ZodType<ExperimentResult, unknown> = z.looseObject({
  dataset: z.string(),
  router: z.string(),
  seed: z.number(),
  seconds: z.number(),
  settings: z.looseObject({
    clients: z.number(),
    alpha: z.number(),
    preferenceAlpha: z.number(),
    trainFraction: z.number(),
    minQueries: z.number(),
    partition: z.enum(["clients", "tasks"]),
    embedder: z.string(),
    dimension: z.number(),
    rounds: z.number().optional(),
  }),
  clients: z.array(clientSchema),
  global: z
    .object({
      federated: auc,
      centralised: auc,
      localMin: auc,
      localMax: auc,
      oracle: auc,
      bestSingle: auc,
      cheapest: auc,
      random: auc,
    })
    .catchall(auc),
  curves: z.record(
    z.string(),
    z.array(z.object({ lambda: z.number(), cost: z.number(), quality: z.number() })),
  ),
  singleModels: z.array(z.object({ model: z.string(), quality: z.number(), cost: z.number() })),
});

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The record with old key names replaced by new ones, in the same order (so tables keep their
 * columns); where a record holds both, the new key's value wins.
 */
function renamed(record: unknown): unknown {
  if (!isRecord(record)) return record;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    const name = RENAMED[key] ?? key;
    out[name] = name !== key && name in record ? record[name] : value;
  }
  return out;
}

/** The object with `fields` (those it has) passed through `renamed`. */
function withRenamedFields(
  object: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  const out = { ...object };
  for (const field of fields) if (field in out) out[field] = renamed(out[field]);
  return out;
}

/**
 * An experiment result from parsed results JSON, old keys read as their new names. Throws a
 * DataError ("malformed") naming the first field that does not fit.
 */
export function readExperimentResult(json: unknown): ExperimentResult {
  if (!isRecord(json)) throw new DataError("malformed", "not an experiment result: expected a JSON object");
  if (json.scenario === "new-models" || json.scenario === "new-clients") {
    throw new DataError(
      "malformed",
      `a ${json.scenario} scenario result, not an experiment result (standard or high-het)`,
    );
  }
  const clients = Array.isArray(json.clients)
    ? json.clients.map((c) => {
        if (!isRecord(c)) return c;
        const client = withRenamedFields(c, ["ownTest", "ownTestSe"]);
        // The other personalised routers' standard errors are keyed as in ownTest.
        if (isRecord(client.ownTestSe)) client.ownTestSe = withRenamedFields(client.ownTestSe, ["minusBest"]);
        return client;
      })
    : json.clients;
  const current = withRenamedFields({ ...json, clients }, ["global", "curves"]);
  const parsed = resultSchema.safeParse(current);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "top level";
    throw new DataError("malformed", `not an experiment result: ${where}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** Reads a results JSON file written by `fedrouter experiment --out`; DataError when it cannot. */
export function loadExperimentResult(path: string): ExperimentResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      "not_found",
      code === "ENOENT" ? `${path} does not exist` : `cannot read ${path}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new DataError("malformed", `${path} is not valid JSON`);
  }
  try {
    return readExperimentResult(json);
  } catch (error) {
    if (error instanceof DataError) throw new DataError(error.code, `${path} is ${error.message}`);
    throw error;
  }
}
