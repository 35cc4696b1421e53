// A seeded synthetic routing benchmark: task clusters of prompts, per-task model skill and a
// realistic spread of prices. Tests use it, and so does the CLI when no data folder is given.
import { normal, type Random, seededRandom } from "../random.ts";
import type { Benchmark } from "./benchmark.ts";

export interface SyntheticOptions {
  seed?: number;
  queries?: number;
  tasks?: number;
  models?: number;
  /** Words in each task's own vocabulary. */
  vocabularyPerTask?: number;
  /** Share of a prompt's words taken from the task vocabulary rather than shared filler. */
  topicality?: number;
}

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ru",
  "te",
  "sa",
  "no",
  "vi",
  "de",
  "pa",
  "zu",
  "ge",
  "bo",
  "fi",
  "ha",
  "ju",
];
const FILLER = "the a of to and in is for on with what how which please explain write give find".split(" ");

function word(random: Random): string {
  const length = 2 + Math.floor(random() * 3);
  let w = "";
  for (let i = 0; i < length; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return w;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function syntheticBenchmark(options: SyntheticOptions = {}): Benchmark {
  const {
    seed = 1,
    queries = 1200,
    tasks: taskCount = 6,
    models: modelCount = 6,
    vocabularyPerTask = 40,
    topicality = 0.7,
  } = options;
  const random = seededRandom(seed);
  const tasks = Array.from({ length: taskCount }, (_, t) => `task-${t}`);
  const vocabularies = tasks.map(() => Array.from({ length: vocabularyPerTask }, () => word(random)));
  // Prices span three orders of magnitude; dearer models are better on average, with per-task
  // strengths so that no single model wins everywhere.
  const models = Array.from({ length: modelCount }, (_, j) => `model-${String.fromCharCode(97 + j)}`);
  const logPrice = models.map((_, j) => -5 + (3 * j) / Math.max(1, modelCount - 1));
  const skill = tasks.map(() =>
    models.map((_, j) => -0.5 + (1.5 * j) / Math.max(1, modelCount - 1) + normal(random)),
  );
  const quality = new Float64Array(queries * modelCount);
  const cost = new Float64Array(queries * modelCount);
  const ids: string[] = [];
  const prompts: string[] = [];
  const taskOf: string[] = [];
  for (let q = 0; q < queries; q++) {
    const t = Math.floor(random() * taskCount);
    const vocabulary = vocabularies[t] as string[];
    const length = 8 + Math.floor(random() * 25);
    const words: string[] = [];
    for (let w = 0; w < length; w++) {
      words.push(
        random() < topicality
          ? (vocabulary[Math.floor(random() * vocabulary.length)] as string)
          : (FILLER[Math.floor(random() * FILLER.length)] as string),
      );
    }
    ids.push(`synthetic-${q}`);
    prompts.push(words.join(" "));
    taskOf.push(tasks[t] as string);
    const difficulty = normal(random) * 0.8;
    for (let j = 0; j < modelCount; j++) {
      const p = sigmoid((skill[t]?.[j] ?? 0) - difficulty);
      quality[q * modelCount + j] = random() < p ? 1 : 0;
      // Cost grows with prompt length, with some noise in the answer's length.
      const tokens = (length * 1.3 + 150 * Math.exp(0.3 * normal(random))) / 200;
      cost[q * modelCount + j] = 10 ** (logPrice[j] ?? 0) * tokens;
    }
  }
  return { name: `synthetic-${seed}`, models, ids, prompts, tasks: taskOf, quality, cost };
}
