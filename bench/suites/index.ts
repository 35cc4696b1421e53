// The benchmark suites `npm run bench` runs, in order.
import type { BenchSuite } from "../entry.ts";
import { experimentSuite } from "./experiment.ts";

export const suites: BenchSuite[] = [experimentSuite];
