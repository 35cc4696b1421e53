// The flags of `fedrouter experiment` and `fedrouter embed`, one line each, in node:util
// parseArgs's shape (operator/options.ts turns them into commander options).
import type { OptionTable } from "../operator/options.ts";
import { EMBEDDER_NAMES } from "./embeddings/choose.ts";

export const EXPERIMENT_OPTIONS = {
  data: {
    type: "string",
    value: "dir",
    description: "RouterBench CSV folder or LLMRouter folder (default: synthetic benchmark)",
  },
  router: { type: "string", value: "kind", default: "kmeans", description: "kmeans | mlp" },
  scenario: {
    type: "string",
    value: "name",
    default: "standard",
    description: "standard | high-het | new-models | new-clients | online",
  },
  clients: { type: "string", value: "n", description: "number of clients (default 10)" },
  alpha: {
    type: "string",
    value: "a",
    description: "Dirichlet concentration over task labels (default 0.6; high-het 0.03)",
  },
  "preference-alpha": {
    type: "string",
    value: "a",
    description: "Dirichlet concentration of model preferences (default 0.45; high-het 1.0)",
  },
  seed: { type: "string", value: "s", description: "random seed (default 1)" },
  embedder: {
    type: "string",
    value: "name",
    default: "use-lite",
    description: `${EMBEDDER_NAMES} (use-lite is use-lite/w128-mean); vectors other than hashing's are cached under $XDG_CACHE_HOME/fedrouter/embeddings (or ~/.cache/...)`,
  },
  rounds: { type: "string", value: "r", description: "federated rounds for the MLP router (default 5)" },
  clusters: { type: "string", value: "k", description: "clusters of the K-means router (default 16)" },
  weighting: {
    type: "string",
    value: "w",
    description: "MLP head averaging: fedavg | per-head (default fedavg)",
  },
  set: {
    type: "string",
    multiple: true,
    value: "name=value",
    description:
      "a router hyperparameter (repeatable), e.g. --set shrinkage=fixed --set prior=4 (K-means) or --set validationShare=0 (MLP); docs/tuning.md lists them",
  },
  tags: {
    type: "string",
    value: "source",
    description:
      "context tags of each query: task (its task label; the vocabulary is the task labels of the clients' training data); default none",
  },
  personalise: { type: "boolean", description: "also score personalised routers (always on for high-het)" },
  bootstrap: {
    type: "string",
    value: "b",
    description:
      "paired bootstrap resamples of each client's test set for standard errors of its AUC differences (default 0; high-het 200)",
  },
  out: { type: "string", value: "file.json", description: "write the results as JSON" },
  plot: {
    type: "string",
    value: "file.svg",
    description: "write the accuracy-cost plot as SVG (standard and high-het)",
  },
  quiet: { type: "boolean", description: "no progress bar" },
  // --scenario online (docs/exploration.md)
  batch: {
    type: "string",
    value: "B",
    description: "online: queries each client routes between rounds (default 50)",
  },
  "online-rounds": {
    type: "string",
    value: "r",
    description: "online: most rounds (default 8; fewer when the streams run out)",
  },
  start: {
    type: "string",
    value: "s",
    description: "online: first-version | seed-set (default first-version)",
  },
  "seed-share": {
    type: "string",
    value: "f",
    description: "online: share of each stream judged offline for seed-set (default 0.1)",
  },
  lambda: {
    type: "string",
    value: "l",
    description: "online: the lambda the app routes with (default: best/cheapest exchange rate)",
  },
  epsilon: { type: "string", value: "e", description: "online: epsilon-greedy's epsilon (default 0.1)" },
  temperature: { type: "string", value: "t", description: "online: softmax's temperature (default 0.05)" },
  runs: {
    type: "string",
    value: "pairs",
    description: "online: the policy:weighting pairs to run, e.g. softmax:ips,greedy:none (default: all six)",
  },
  "weight-clip": {
    type: "string",
    value: "c",
    description: "online: inverse-propensity weights are clipped at c (default 10)",
  },
  "final-trainings": {
    type: "string",
    value: "k",
    description:
      "online: also report the mean AUC of k trainings of the last version and of the paper-protocol router (default 1)",
  },
} as const satisfies OptionTable;

export const EMBED_OPTIONS = {
  data: { type: "string", value: "dir", description: "the data set whose queries to embed" },
  embedder: {
    type: "string",
    multiple: true,
    value: "name",
    description: `an embedder to fill the cache for (repeatable): ${EMBEDDER_NAMES}`,
  },
  quiet: { type: "boolean", description: "no progress bar" },
} as const satisfies OptionTable;

// --json is the program's own option (operator/cli.ts): with it `privacy` prints {"epsilon", "order"}.
export const PRIVACY_OPTIONS = {
  "sampling-rate": {
    type: "string",
    value: "q",
    description: "each record's probability of being sampled in a step",
  },
  "noise-multiplier": {
    type: "string",
    value: "z",
    description: "the noise's standard deviation over the L2 sensitivity",
  },
  steps: { type: "string", value: "n", description: "steps of the mechanism" },
  delta: { type: "string", value: "d", description: "delta of (epsilon, delta)-DP" },
} as const satisfies OptionTable;

export const PRIVACY_EXPERIMENT_OPTIONS = {
  router: { type: "string", value: "kind", default: "kmeans", description: "kmeans | mlp" },
  clients: { type: "string", value: "n", description: "clients the queries are spread over (default 1000)" },
  queries: {
    type: "string",
    value: "n",
    description: "synthetic benchmark size (default 100000; ignored with --data)",
  },
  data: { type: "string", value: "dir", description: "a data set instead of the synthetic benchmark" },
  "dp-epsilon": {
    type: "string",
    value: "list",
    default: "1,2,4,8,16",
    description: "comma-separated epsilons",
  },
  "dp-delta": { type: "string", value: "d", description: "delta (default 1e-5)" },
  cap: {
    type: "string",
    value: "c",
    description: "per-pass cap of a client's contribution (K-means: points; MLP: L2 norm)",
  },
  repeats: {
    type: "string",
    value: "r",
    description: "noise draws per epsilon, the AUC their mean (default 1)",
  },
  projection: {
    type: "string",
    value: "k",
    description:
      "K-means: dimensions of a public random subspace to cluster in (default 0: the embedding itself)",
  },
  set: {
    type: "string",
    multiple: true,
    value: "name=value",
    description: "a router hyperparameter (repeatable), e.g. --set lloydPasses=5",
  },
  seed: { type: "string", value: "s", description: "seed (default 1)" },
  embedder: { type: "string", value: "name", default: "hashing", description: EMBEDDER_NAMES },
  out: { type: "string", value: "file.json", description: "write the result as JSON" },
  plot: { type: "string", value: "file.svg", description: "write AUC against epsilon as SVG" },
} as const satisfies OptionTable;
