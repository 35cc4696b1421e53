// The benchmark suites `npm run bench` runs, in order.
import type { BenchSuite } from "../entry.ts";

export const suites: BenchSuite[] = [];
