// A federation's configuration from `fedrouter federation create`'s flags: the router kind and its
// hyperparameters, the priced models, the embedder, and a round policy and secure-aggregation
// parameters that meet the platform's floors by default (docs/secure-aggregation.md, "Floors").
import { readFileSync } from "node:fs";
import { DEFAULT_FLOORS, effectiveDegree, majorityThreshold } from "../core/secagg/index.ts";
import type { FederationConfigInput } from "../core/wire/federation.ts";
import { hyperparameterSettings, type OptionTable, type OptionValues, UsageError } from "./options.ts";

export const FEDERATION_OPTIONS = {
  name: { type: "string", value: "name", description: "the federation's name (required unless --config)" },
  router: { type: "string", value: "kind", default: "kmeans", description: "router kind: kmeans | mlp" },
  set: {
    type: "string",
    multiple: true,
    value: "name=value",
    description: "a router hyperparameter (repeatable), e.g. --set clusters=8 (docs/tuning.md)",
  },
  model: {
    type: "string",
    multiple: true,
    value: "id:in:out",
    description:
      "an LLM to route to and its USD prices per million input and output tokens (repeatable, at least 2)",
  },
  embedder: {
    type: "string",
    value: "name",
    default: "use-lite",
    description: "hashing | use-lite[/w128-<mean|last|last-weighted>] | an embedder id",
  },
  tag: {
    type: "string",
    multiple: true,
    value: "tag",
    description: "a context tag of the vocabulary (repeatable)",
  },
  "cohort-size": { type: "string", value: "n", default: "5", description: "most clients invited to a round" },
  "min-participants": {
    type: "string",
    value: "n",
    description:
      "fewest inputs a round must sum to publish (default: the threshold, or 5 if larger and the cohort allows)",
  },
  participation: {
    type: "string",
    value: "fraction",
    default: "1",
    description: "share of enrolled clients invited",
  },
  neighbours: {
    type: "string",
    value: "k",
    default: "complete",
    description: "neighbours of each client in secure aggregation: an even number or complete",
  },
  threshold: {
    type: "string",
    value: "t",
    description:
      "Shamir threshold (default: the strict majority of a neighbourhood, at least 3 if the cohort allows)",
  },
  deadline: {
    type: "string",
    value: "seconds",
    default: "120",
    description: "how long each stage of a round stays open",
  },
  clip: {
    type: "string",
    value: "bound",
    default: "1000",
    description: "contributions are clipped to [-bound, bound] before secure aggregation",
  },
  schedule: {
    type: "string",
    value: "kind",
    default: "manual",
    description:
      "manual (the owner starts each round) | continuous (the edge trains from checked-in clients)",
  },
  "min-clients": {
    type: "string",
    value: "n",
    default: "5",
    description: "continuous: checked-in clients a round waits for",
  },
  "max-wait": {
    type: "string",
    value: "seconds",
    default: "300",
    description: "continuous: after this long a round opens with the clients checked in",
  },
  "retrain-after": {
    type: "string",
    value: "n",
    default: "100",
    description: "continuous: new evaluations clients report before the edge trains again",
  },
  config: {
    type: "string",
    value: "file.json",
    description: "the whole configuration as the API takes it (docs/edge-api.md); no other flag then",
  },
} as const satisfies OptionTable;

type Values = OptionValues<typeof FEDERATION_OPTIONS>;

function integer(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${flag} got "${value}": an integer of at least ${min}`);
  return n;
}

function positive(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${flag} got "${value}": a positive number`);
  return n;
}

/** `--model id:inputPrice:outputPrice`; the id may itself hold colons (the last two fields are the prices). */
function pricedModel(spec: string): { id: string; inputPrice: number; outputPrice: number } {
  const parts = spec.split(":");
  const [input, output] = parts.slice(-2).map(Number);
  const id = parts.slice(0, -2).join(":");
  if (
    parts.length < 3 ||
    !id ||
    !Number.isFinite(input) ||
    !Number.isFinite(output) ||
    input! < 0 ||
    output! < 0
  )
    throw new UsageError(`--model takes id:inputPrice:outputPrice (USD per million tokens), got "${spec}"`);
  return { id, inputPrice: input!, outputPrice: output! };
}

/** The embedder's id and dimension, from a name the experiment harness also takes. */
async function embedderSpec(name: string): Promise<{ id: string; dimension: number }> {
  const [{ loadEmbedder }, { registerUseLite }] = await Promise.all([
    import("../core/embedder/registry.ts"),
    import("../tfjs/register.ts"),
  ]);
  registerUseLite();
  try {
    const embedder = await loadEmbedder(name);
    return { id: embedder.id, dimension: embedder.dimension };
  } catch (error) {
    throw new UsageError(`--embedder: ${(error as Error).message}`);
  }
}

/** The configuration `federation create` sends; `explicit` names the flags given on the command line. */
export async function federationConfig(
  values: Values,
  explicit: ReadonlySet<string>,
): Promise<FederationConfigInput> {
  if (values.config !== undefined) {
    const others = [...explicit].filter((flag) => flag !== "config");
    if (others.length > 0)
      throw new UsageError(`--config takes the whole configuration: drop --${others.join(", --")}`);
    try {
      return JSON.parse(readFileSync(values.config, "utf8")) as FederationConfigInput;
    } catch (error) {
      throw new UsageError(`--config ${values.config}: ${(error as Error).message}`);
    }
  }
  if (!values.name) throw new UsageError("federation create needs --name (or --config)");
  const models = (values.model ?? []).map(pricedModel);
  if (models.length < 2) throw new UsageError("federation create needs at least two --model id:in:out");
  const cohortSize = integer(values["cohort-size"], "cohort-size", 2);
  const neighbourDegree =
    values.neighbours === "complete" ? ("complete" as const) : integer(values.neighbours, "neighbours", 2);
  const majority = majorityThreshold(effectiveDegree(cohortSize, neighbourDegree));
  const threshold =
    values.threshold === undefined
      ? // At least the SDK's default floor where the cohort leaves room to lose one client.
        Math.max(majority, Math.min(DEFAULT_FLOORS.minThreshold, cohortSize - 1))
      : integer(values.threshold, "threshold", 1);
  const minParticipants =
    values["min-participants"] === undefined
      ? Math.max(Math.min(DEFAULT_FLOORS.minSurvivors, cohortSize), threshold)
      : integer(values["min-participants"], "min-participants", 2);
  const deadline = integer(values.deadline, "deadline", 1);
  const bound = positive(values.clip, "clip");
  return {
    name: values.name,
    router: { kind: values.router, hyperparameters: hyperparameterSettings(values.set ?? []) },
    models,
    embedder: await embedderSpec(values.embedder),
    ...(values.tag === undefined ? {} : { tags: values.tag }),
    roundPolicy: {
      cohortSize,
      minParticipants,
      participationFraction: positive(values.participation, "participation"),
      deadlines: { advertiseKeys: deadline, shareKeys: deadline, maskedInput: deadline, unmask: deadline },
    },
    secureAggregation: { threshold, neighbourDegree, curve: "X25519" },
    clipping: { min: -bound, max: bound },
    schedule: schedule(values),
  };
}

/** `--schedule manual` (the default) or `continuous` with its three settings. */
function schedule(values: Values): NonNullable<FederationConfigInput["schedule"]> {
  if (values.schedule === "manual") return { kind: "manual" };
  if (values.schedule !== "continuous")
    throw new UsageError(`--schedule takes manual or continuous, got "${values.schedule}"`);
  return {
    kind: "continuous",
    minClients: integer(values["min-clients"], "min-clients", 2),
    maxWaitSeconds: integer(values["max-wait"], "max-wait", 1),
    retrainAfterEvaluations: integer(values["retrain-after"], "retrain-after", 1),
  };
}
