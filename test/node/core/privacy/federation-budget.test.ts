// A federation's budget at the edge: rounds charged at their worst case, and the round past the
// budget refused.
import { describe, expect, it } from "vitest";
import { epsilonFromRdp } from "../../../../core/privacy/conversion.ts";
import { budgetRefusal, spentAfter, worstCaseRelease } from "../../../../core/privacy/federation-budget.ts";
import { spent } from "../../../../core/privacy/ledger.ts";
import { DEFAULT_RDP_ORDERS } from "../../../../core/privacy/orders.ts";
import { subsampledGaussianRdp } from "../../../../core/privacy/subsampled-gaussian.ts";
import {
  type FederationConfig,
  type FederationConfigInput,
  federationConfigSchema,
} from "../../../../core/wire/federation.ts";
import { privacySpecSchema } from "../../../../core/wire/privacy.ts";
import {
  privacyRefusal,
  privacySpent,
  withPrivacySpent,
} from "../../../../durable-objects/federation-privacy.ts";
import { federationConfig } from "../../../worker/support/federation-config.ts";

const spec = privacySpecSchema.parse({ epsilon: 4, delta: 1e-5, noiseMultiplier: 3, clipNorm: 10 });
const charge = { threshold: 20, scale: 2 ** 16, dimension: 100_000 };

describe("a federation's privacy budget", () => {
  it("charges rounds as the Gaussian with the same noise multiplier when the shares are wide", () => {
    const rounds = 12;
    const { epsilon } = spentAfter(spec, rounds, charge.threshold, charge.scale, charge.dimension);
    // The continuous Gaussian at integer orders only (the discrete bound is evaluated there).
    const orders = [...new Set(DEFAULT_RDP_ORDERS.map((a) => Math.max(2, Math.floor(a))))];
    const sensitivity = 10 * 2 ** 16 + Math.sqrt(100_000);
    const z = (3 * sensitivity) / sensitivity;
    const gaussian = epsilonFromRdp(
      orders,
      subsampledGaussianRdp(1, z, orders).map((r) => r * rounds),
      1e-5,
    ).epsilon;
    expect(epsilon).toBeGreaterThanOrEqual(gaussian);
    expect(epsilon).toBeLessThan(gaussian * 1.0001);
  });

  it("counts the noise a round has at its threshold, whatever the cohort", () => {
    const release = worstCaseRelease(spec, 20, charge.scale, charge.dimension);
    expect(release.clients).toBe(20);
    expect(release.localStddev * Math.sqrt(20)).toBeCloseTo(3 * release.l2Sensitivity, 6);
    expect(spent([release], 1e-5).epsilon).toBeCloseTo(
      spentAfter(spec, 1, 20, charge.scale, charge.dimension).epsilon,
      12,
    );
  });

  it("refuses the first round that would take epsilon past the budget, and none before it", () => {
    let rounds = 0;
    while (budgetRefusal(spec, rounds, charge.threshold, charge.scale, charge.dimension) === undefined) {
      rounds++;
      expect(rounds).toBeLessThan(1000);
    }
    expect(rounds).toBeGreaterThan(0);
    expect(
      spentAfter(spec, rounds, charge.threshold, charge.scale, charge.dimension).epsilon,
    ).toBeLessThanOrEqual(4);
    expect(
      spentAfter(spec, rounds + 1, charge.threshold, charge.scale, charge.dimension).epsilon,
    ).toBeGreaterThan(4);
    expect(budgetRefusal(spec, rounds, charge.threshold, charge.scale, charge.dimension)).toMatch(
      /budget .* is spent/,
    );
  });

  it("rejects a budget without its noise at creation", () => {
    expect(privacySpecSchema.safeParse({ epsilon: 4, delta: 1e-5 }).success).toBe(false);
    expect(
      privacySpecSchema.safeParse({ epsilon: 4, delta: 0.5, noiseMultiplier: 1, clipNorm: 1 }).success,
    ).toBe(false);
  });

  it("is refused at creation with a cohort that would run as shards", () => {
    const base = federationConfig().roundPolicy;
    const federation = (roundPolicy: Partial<FederationConfigInput["roundPolicy"]>) =>
      federationConfigSchema.safeParse(
        federationConfig({ roundPolicy: { ...base, ...roundPolicy }, privacy: spec }),
      );
    expect(federation({ cohortSize: 256 }).success).toBe(true);
    const sharded = federation({ cohortSize: 300 });
    expect(sharded.success).toBe(false);
    expect(sharded.error?.message).toMatch(/privacy budget needs unsharded rounds/);
    expect(federation({ cohortSize: 300, shardSize: 300 }).success).toBe(true);
  });
});

describe("the budget on a federation's versions", () => {
  const config = {
    secureAggregation: { threshold: 6 },
    roundPolicy: { cohortSize: 10 },
    clipping: { min: -1, max: 1 },
  } as unknown as FederationConfig;

  it("attaches the cumulative spend to each version and refuses the round past the budget", () => {
    const budgeted = { ...config, privacy: spec };
    expect(withPrivacySpent(config, { version: 3 })).toEqual({ version: 3 });
    const spends = [0, 1, 2, 3].map((v) => withPrivacySpent(budgeted, { version: v }).privacy?.epsilon ?? -1);
    expect(spends[0]).toBe(0);
    for (let v = 1; v < spends.length; v++) expect(spends[v]).toBeGreaterThan(spends[v - 1] as number);
    let version = 0;
    while (privacyRefusal(budgeted, version) === undefined) version++;
    expect(privacySpent(budgeted, version)?.epsilon).toBeLessThanOrEqual(4);
    expect(privacySpent(budgeted, version + 1)?.epsilon).toBeGreaterThan(4);
    expect(privacyRefusal(config, 10_000)).toBeUndefined();
  });
});
