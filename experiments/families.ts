// The router families the CLI and benchmarks can run, by name.
import type { RouterFamily } from "./family.ts";
import { kmeansFamily } from "./kmeans-family.ts";

export const ROUTER_KINDS = ["kmeans"] as const;

export async function familyFor(
  router: string,
  options: { clusters?: number; rounds?: number } = {},
): Promise<RouterFamily> {
  if (router === "kmeans")
    return kmeansFamily(options.clusters === undefined ? {} : { clusters: options.clusters });
  throw new RangeError(`--router must be one of ${ROUTER_KINDS.join(", ")}, got "${router}"`);
}
