// Personalisation in the harness: every client gets the default (prior and evidence), the
// inverse-error mixture, the fixed 0.5/0.5 mixture, the fine-tuned router and the default's
// variants scored on its own test set, and the JSON keeps the weights.
import { describe, expect, it } from "vitest";
import { personalisationLine } from "../../../experiments/table.ts";
import { smallHighHetRun } from "./high-het-run.ts";

describe("personalisation in the harness", () => {
  it("scores the default, the mixtures and the fine-tuned router per client and keeps the weights", async () => {
    const result = await smallHighHetRun();
    for (const client of result.clients) {
      for (const key of [
        "personalised",
        "personalisedAdaptive",
        "personalisedFixed",
        "fineTuned",
        "pe-pooled",
        "pe-positive-part",
        "pe-routing",
      ]) {
        expect(client.ownTest[key], key).toBeGreaterThan(0);
        expect(client.ownTest[key], key).toBeLessThanOrEqual(1.0001);
      }
      const { quality, cost } = client.mixture!;
      expect(quality).toHaveLength(5);
      expect(cost).toHaveLength(5);
      for (const w of [...quality, ...cost]) expect(w >= 0 && w <= 1).toBe(true);
      const evidence = client.evidenceWeights!;
      expect(evidence.quality).toHaveLength(5);
      for (const w of [...evidence.quality, ...evidence.cost]) expect(w >= 0 && w <= 1).toBe(true);
    }
    // The weights are the clients' own: they differ between clients.
    const first = JSON.stringify(result.clients[0]!.mixture);
    expect(result.clients.some((c) => JSON.stringify(c.mixture) !== first)).toBe(true);
    const lines = personalisationLine(result).split("\n");
    expect(lines.map((l) => l.split(":")[0])).toEqual([
      "prior-evidence (default)",
      "inverse-error mixture",
      "fixed 0.5/0.5",
      "fine-tuned",
      "prior-evidence, pooled weight",
      "prior-evidence, per-model weights",
      "prior-evidence, unshrunk least squares",
      "prior-evidence, positive-part shrinkage (the first default)",
      "prior-evidence, routing part of quality departures",
    ]);
  });
});
