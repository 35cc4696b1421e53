// Several privacy experiment results in one table and one plot (both router kinds, several seeds).
import { describe, expect, it } from "vitest";
import { type PrivacyExperimentResult, privacySeedTable } from "../../../experiments/privacy-experiment.ts";
import { privacyPlotSvg } from "../../../experiments/privacy-plot.ts";

const result = (
  router: string,
  seed: number,
  nonPrivate: number,
  aucs: number[],
): PrivacyExperimentResult => ({
  dataset: "synthetic",
  router,
  seed,
  clients: 1000,
  delta: 1e-5,
  cap: 16,
  nonPrivate,
  baselines: { queryBlind: 0.6, taskLookup: 0.77 },
  rows: aucs.map((auc, i) => ({
    epsilon: 2 ** (i + 2),
    noiseMultiplier: 1,
    passes: 3,
    spent: 2 ** (i + 2),
    auc,
  })),
  seconds: 1,
});

describe("privacy results side by side", () => {
  const results = [result("kmeans", 1, 0.72, [0.7, 0.715]), result("mlp", 2, 0.7, [0.69, 0.705])];

  it("tables each router and seed with its gap to the non-private router and the baselines", () => {
    const lines = privacySeedTable(results).split("\n");
    expect(lines[0]).toBe("| router | seed | non-private | ε 4 | ε 8 | queryBlind | taskLookup |");
    expect(lines[2]).toBe("| kmeans | 1 | 0.7200 | 0.7000 (−0.0200) | 0.7150 (−0.0050) | 0.6000 | 0.7700 |");
    expect(lines[3]).toBe("| mlp | 2 | 0.7000 | 0.6900 (−0.0100) | 0.7050 (+0.0050) | 0.6000 | 0.7700 |");
  });

  it("draws one line per router and seed", () => {
    const svg = privacyPlotSvg(results);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg.match(/<circle/g)?.length).toBe(4);
    expect(svg).toContain("kmeans seed 1");
    expect(svg).toContain("mlp seed 2");
  });
});
