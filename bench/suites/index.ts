// The benchmark suites `npm run bench` runs, in order. Each is loaded only when chosen, so one
// suite's heavy dependencies (TensorFlow.js, onnxruntime for `train`) cannot break another's run.
import type { BenchSuite } from "../entry.ts";

/** A suite by name, and how to load it (a dynamic import of its module). */
export interface SuiteEntry {
  name: string;
  load(): Promise<BenchSuite>;
}

export const suites: SuiteEntry[] = [
  { name: "experiment", load: async () => (await import("./experiment.ts")).experimentSuite },
  { name: "train", load: async () => (await import("./train.ts")).trainSuite },
  { name: "embed", load: async () => (await import("./embed.ts")).embedSuite },
  { name: "secagg", load: async () => (await import("./secagg.ts")).secaggSuite },
  { name: "onnx-embed", load: async () => (await import("./onnx-embed.ts")).onnxEmbedSuite },
  { name: "load", load: async () => (await import("./load.ts")).loadSuite },
];
