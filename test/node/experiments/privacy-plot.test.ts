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
  hyperparameters: {},
  nonPrivate,
  baselines: { queryBlind: 0.6, taskLookup: 0.77 },
  rows: aucs.map((auc, i) => ({
    epsilon: 2 ** (i + 2),
    noiseMultiplier: 1,
    passes: 3,
    spent: 2 ** (i + 2),
    auc,
    aucs: [auc],
  })),
  seconds: 1,
});

describe("privacy results side by side", () => {
  const results = [result("kmeans", 1, 0.72, [0.7, 0.715]), result("mlp", 2, 0.7, [0.69, 0.705])];

  it("tables each router and seed with its gap to the non-private router and the baselines", () => {
    const lines = privacySeedTable(results).split("\n");
    expect(lines[0]).toBe(
      "| router | data | clients | seed | non-private | ε 4 | ε 8 | queryBlind | taskLookup |",
    );
    expect(lines[2]).toBe(
      "| kmeans | synthetic | 1000 | 1 | 0.7200 | 0.7000 (−0.0200) | 0.7150 (−0.0050) | 0.6000 | 0.7700 |",
    );
    expect(lines[3]).toBe(
      "| mlp | synthetic | 1000 | 2 | 0.7000 | 0.6900 (−0.0100) | 0.7050 (+0.0050) | 0.6000 | 0.7700 |",
    );
  });

  it("draws one line per router and seed", () => {
    const svg = privacyPlotSvg(results);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg.match(/<circle/g)?.length).toBe(4);
    expect(svg).toContain("kmeans seed 1");
    expect(svg).toContain("mlp seed 2");
  });

  it("gives the mean of several noise draws with their range, in the table and as a bar", () => {
    const drawn = result("kmeans", 3, 0.72, [0.71]);
    drawn.rows[0] = { ...drawn.rows[0]!, auc: 0.71, aucs: [0.7, 0.72, 0.71] };
    expect(privacySeedTable([drawn]).split("\n")[2]).toBe(
      "| kmeans | synthetic | 1000 | 3 | 0.7200 | 0.7100 (−0.0100), 3 draws 0.7000 to 0.7200 | 0.6000 | 0.7700 |",
    );
    const svg = privacyPlotSvg([drawn]);
    // One bar from the lowest draw to the highest, besides the levels' lines.
    expect(svg.match(/<line x1="([\d.]+)" x2="\1"/g)?.length).toBe(1);
  });
});
