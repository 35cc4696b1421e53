// The benchmark suites `npm run bench` runs, in order.
import type { BenchSuite } from "../entry.ts";
import { experimentSuite } from "./experiment.ts";
import { secaggSuite } from "./secagg.ts";
import { trainSuite } from "./train.ts";

export const suites: BenchSuite[] = [experimentSuite, trainSuite, secaggSuite];
