// An organisation's side of training, as a small long-running process: it starts from the file
// `fedrouter client enrol --json` wrote, keeps its evaluations in a JSON Lines file beside it, and
// takes part in every round the edge invites it to, until the federation's router is final.
//   node client-sdk/examples/participant.ts <enrolment.json> [--toy-evaluations <n>] [--idle <seconds>]
//     [--min-cohort <n>]
// --toy-evaluations records n made-up evaluations first (stand-ins for an app's judged answers,
// so that a walkthrough has something to train on); a real app calls record() as it runs.
// --min-cohort sets this organisation's privacy floors to rounds of at least n clients, all of them
// surviving, with a majority threshold: the SDK's defaults are n = 5; 3 is the least it accepts.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { FileStore } from "../src/file-store.ts";
import { createClient, FedRouterError, type FedrouterClient, seededRandom } from "../src/index.ts";

interface Enrolment {
  edgeUrl: string;
  federationId: string;
  token: string;
  modelPublicKey: string;
  client: { id: string; label: string | null };
}

const TOPICS = [
  ["Write a Python function that", ["parses a CSV file", "merges two sorted lists", "retries an HTTP call"]],
  ["Solve step by step:", ["a train leaves at 3pm at 80 km/h", "the integral of x squared", "15% of 240"]],
  ["Draft a friendly email that", ["declines a meeting", "thanks a supplier", "announces a product launch"]],
] as const;

/**
 * Made-up judged answers: each model is best at one topic (quality near 0.9 there, 0.5 elsewhere)
 * and costs more the later it comes in the federation's list; every query is judged for one model.
 */
async function recordToyEvaluations(client: FedrouterClient, count: number, seed: number): Promise<void> {
  const models = client.model?.models ?? [];
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) {
    const t = Math.floor(random() * TOPICS.length);
    const [lead, tails] = TOPICS[t]!;
    const query = `${lead} ${tails[Math.floor(random() * tails.length)]} (#${seed}-${i})`;
    const j = Math.floor(random() * models.length);
    const strong = j % TOPICS.length === t;
    const quality = Math.min(1, Math.max(0, (strong ? 0.9 : 0.5) + (random() - 0.5) * 0.2));
    await client.record({ query, model: models[j]!, quality, cost: 0.0005 * (j + 1) });
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "toy-evaluations": { type: "string" },
    idle: { type: "string", default: "900" },
    "min-cohort": { type: "string", default: "5" },
  },
});
const [file] = positionals;
const minCohort = Number(values["min-cohort"]);
if (!file || !Number.isInteger(minCohort)) {
  console.error(
    "usage: node client-sdk/examples/participant.ts <enrolment.json> [--toy-evaluations n] [--idle s] [--min-cohort n]",
  );
  process.exit(2);
}
const enrolment = JSON.parse(readFileSync(file, "utf8")) as Enrolment;
const name = enrolment.client.label ?? enrolment.client.id;
const client = createClient({
  edgeUrl: enrolment.edgeUrl,
  federationId: enrolment.federationId,
  token: enrolment.token,
  modelPublicKey: enrolment.modelPublicKey,
  store: new FileStore(`${file.replace(/\.json$/, "")}.evaluations.jsonl`),
  // The organisation's own choice, never the enrolment file's (which the federation's owner wrote);
  // createClient refuses floors below the protocol's minimum.
  privacyFloors: {
    minCohort,
    minSurvivors: minCohort,
    minThreshold: Math.floor(minCohort / 2) + 1,
  },
});
await client.sync();
const toy = Number(values["toy-evaluations"] ?? 0);
if (toy > 0)
  await recordToyEvaluations(
    client,
    toy,
    [...enrolment.client.id].reduce((h, c) => h * 31 + c.charCodeAt(0), 7),
  );

// participate() waits for the next round whose cohort holds this client. While no round runs it
// checks the latest version: once that is final, no round will ever come and it says so ("round"
// while still waiting for a round), which ends this loop; --idle bounds a wait for nothing.
const idleMs = Number(values.idle) * 1000;
let rounds = 0;
for (;;) {
  let stage = "";
  try {
    const result = await client.participate({
      timeoutMs: idleMs,
      onProgress: (event) => (stage = event.stage),
    });
    rounds++;
    const outcome = result.outcome?.kind === "published" ? `version ${result.outcome.version}` : "aborted";
    console.log(`${name}: round ${result.round} on ${result.examples} evaluations: ${outcome}`);
  } catch (error) {
    if (!(error instanceof FedRouterError)) throw error;
    if (error.code === "timeout") {
      console.log(`${name}: no round for ${values.idle} s`);
      break;
    }
    if (error.code === "round" && stage === "waiting_for_round") break;
    // A round that aborted or went on without this client: wait for the next one.
    console.log(`${name}: ${error.code}: ${error.message}`);
  }
}
const { version } = await client.sync();
console.log(`${name}: took part in ${rounds} rounds; holds router version ${version}`);
