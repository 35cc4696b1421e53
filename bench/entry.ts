// The shape of one benchmark figure, as written to bench/results.json.
export interface BenchEntry {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

/** A benchmark suite: runs its measurements and returns its figures. */
export interface BenchSuite {
  name: string;
  run(options: BenchOptions): Promise<BenchEntry[]>;
}

export interface BenchOptions {
  /** Folder holding the real data sets (routerbench-subset/, llmrouter/); may be absent. */
  dataDir: string;
  /** Log a line of progress. */
  log(line: string): void;
}
