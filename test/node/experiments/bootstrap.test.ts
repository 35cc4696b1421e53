// The paired bootstrap of own-test AUCs: it must score exactly what the harness scores on a
// draw that takes every query once, pair the routers on the same draws, shrink with the test
// set's size, and leave the experiment's own numbers untouched.
import { describe, expect, it } from "vitest";
import type { BatchPrediction } from "../../../core/prediction.ts";
import { seededRandom } from "../../../core/random.ts";
import { pairedBootstrap, standardError } from "../../../experiments/bootstrap.ts";
import { scoreRouter, type TestSet } from "../../../experiments/evaluate.ts";
import { personalisationLine } from "../../../experiments/table.ts";
import { smallHighHetRun } from "./high-het-run.ts";

const M = 3;

/** n queries: a strong dear model, a middling one, a weak cheap one; noisy predictions of them. */
function testCase(n: number, seed: number): { test: TestSet; good: BatchPrediction; noisy: BatchPrediction } {
  const random = seededRandom(seed);
  const quality = new Float64Array(n * M);
  const cost = new Float64Array(n * M);
  const skill = [0.9, 0.7, 0.4];
  const price = [1e-2, 1e-3, 1e-4];
  for (let q = 0; q < n; q++) {
    for (let j = 0; j < M; j++) {
      quality[q * M + j] = random() < skill[j]! ? 1 : 0;
      cost[q * M + j] = price[j]! * (0.5 + random());
    }
  }
  const predict = (noise: number): BatchPrediction => ({
    quality: quality.map((y) => (1 - noise) * y + noise * random()),
    cost: cost.slice(),
    available: null,
  });
  const test = { n, features: new Float32Array(n), quality, cost, modelCount: M };
  return { test, good: predict(0.3), noisy: predict(0.9) };
}

/** A "random" stream that draws query 0, 1, ..., n-1 in turn: every query once. */
function everyQueryOnce(n: number) {
  let i = 0;
  return () => ((i++ % n) + 0.5) / n;
}

describe("paired bootstrap of own-test AUCs", () => {
  it("scores a draw that takes every query once exactly as the harness does", async () => {
    const { test, good, noisy } = testCase(60, 1);
    const aucs = pairedBootstrap(test, { good, noisy }, 3, everyQueryOnce(60));
    for (const [name, p] of [
      ["good", good],
      ["noisy", noisy],
    ] as const) {
      const expected = (await scoreRouter(() => p, test)).auc;
      for (const auc of aucs[name]!) expect(auc).toBeCloseTo(expected, 12);
    }
  });

  it("pairs the routers: a router against itself differs by exactly 0 on every draw", () => {
    const { test, good } = testCase(80, 2);
    const aucs = pairedBootstrap(test, { a: good, b: good }, 100, seededRandom(3));
    expect(standardError(aucs.a!)).toBeGreaterThan(0.005);
    expect(standardError(aucs.a!.map((x, b) => x - aucs.b![b]!))).toBe(0);
  });

  it("gives standard errors that shrink like 1/sqrt(n) and centre on the full-set AUC", async () => {
    const errors = [];
    for (const n of [50, 800]) {
      const { test, good } = testCase(n, 4);
      const aucs = pairedBootstrap(test, { good }, 400, seededRandom(5)).good!;
      const mean = aucs.reduce((s, x) => s + x, 0) / aucs.length;
      const se = standardError(aucs);
      expect(Math.abs(mean - (await scoreRouter(() => good, test)).auc)).toBeLessThan(se);
      errors.push(se);
    }
    // sqrt(800 / 50) = 4
    expect(errors[0]! / errors[1]!).toBeGreaterThan(2.5);
    expect(errors[0]! / errors[1]!).toBeLessThan(6);
  });

  it("refuses fewer than two resamples; the standard error is the sample deviation", () => {
    const { test, good } = testCase(10, 6);
    expect(() => pairedBootstrap(test, { good }, 1, seededRandom(1))).toThrow(/resamples/);
    expect(standardError([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(standardError([1])).toBeNaN();
  });

  it("adds per-client standard errors to an experiment without moving its other numbers", async () => {
    const run = (bootstrap?: number) => smallHighHetRun(bootstrap ? { bootstrap } : {});
    const [plain, resampled] = [await run(), await run(50)];
    expect(resampled.clients.map((c) => c.ownTest)).toEqual(plain.clients.map((c) => c.ownTest));
    expect(resampled.global).toEqual(plain.global);
    expect(plain.clients[0]!.ownTestSe).toBeUndefined();
    for (const c of resampled.clients) {
      expect(c.ownTestSe!.resamples).toBe(50);
      expect(c.ownTestSe!.localMinusFederated).toBeGreaterThan(0);
      // The default may be the federated router itself on a client (s.e. 0 where federated
      // leads on every draw); the inverse-error mixture always differs from both.
      expect(c.ownTestSe!.personalisedMinusBest).toBeGreaterThanOrEqual(0);
      expect(c.ownTestSe!.minusBest!.personalisedAdaptive).toBeGreaterThan(0);
      expect(c.ownTestSe!.localMinusFederated).toBeLessThan(0.5);
    }
    expect(personalisationLine(resampled)).toMatch(
      /^bootstrap \(50 paired resamples.*on \d+ of the \d+ clients where it wins/m,
    );
    expect(personalisationLine(plain)).not.toMatch(/bootstrap/);
  });
});
