// The router families the CLI and benchmarks can run, by name.
import type { RouterFamily } from "./family.ts";
import { kmeansFamily } from "./kmeans-family.ts";

export const ROUTER_KINDS = ["kmeans", "mlp"] as const;

export async function familyFor(
  router: string,
  options: { clusters?: number; rounds?: number; weighting?: string } = {},
): Promise<RouterFamily> {
  if (router === "kmeans")
    return kmeansFamily(options.clusters === undefined ? {} : { clusters: options.clusters });
  if (router === "mlp") {
    // Loaded on demand: the MLP pulls in onnxruntime, which K-means runs do not need.
    const { mlpFamily } = await import("./mlp-family.ts");
    const { weighting } = options;
    if (weighting !== undefined && weighting !== "per-head" && weighting !== "fedavg") {
      throw new RangeError(`--weighting must be per-head or fedavg, got "${weighting}"`);
    }
    return mlpFamily({
      ...(options.rounds === undefined ? {} : { rounds: options.rounds }),
      ...(weighting === undefined ? {} : { weighting }),
    });
  }
  throw new RangeError(`--router must be one of ${ROUTER_KINDS.join(", ")}, got "${router}"`);
}
