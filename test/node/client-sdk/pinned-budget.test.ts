// An app that pins a privacy budget takes part only in a federation that declared one within it:
// none declared, a larger epsilon or a larger delta is refused as unsafe_round.
import { describe, expect, it } from "vitest";
import { FedRouterError } from "../../../client-sdk/src/errors.ts";
import { withinPinnedBudget } from "../../../client-sdk/src/round/pinned-budget.ts";
import type { PrivacySpec } from "../../../core/wire/privacy.ts";

const declared: PrivacySpec = { epsilon: 4, delta: 1e-5, noiseMultiplier: 2, clipNorm: 8 };

function refusal(run: () => unknown): FedRouterError {
  try {
    run();
  } catch (error) {
    if (error instanceof FedRouterError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("a pinned privacy budget", () => {
  it("passes the declaration through when nothing is pinned, or when it is within the pin", () => {
    expect(withinPinnedBudget(declared, undefined)).toBe(declared);
    expect(withinPinnedBudget(undefined, undefined)).toBeUndefined();
    expect(withinPinnedBudget(declared, { epsilon: 4, delta: 1e-5 })).toBe(declared);
    expect(withinPinnedBudget(declared, { epsilon: 8, delta: 1e-3 })).toBe(declared);
  });

  it("refuses a federation that declares no budget, or a looser one", () => {
    const none = refusal(() => withinPinnedBudget(undefined, { epsilon: 4, delta: 1e-5 }));
    expect(none.code).toBe("unsafe_round");
    expect(none.message).toMatch(/declares none/);
    const epsilon = refusal(() => withinPinnedBudget(declared, { epsilon: 2, delta: 1e-5 }));
    expect(epsilon.code).toBe("unsafe_round");
    expect(epsilon.message).toMatch(/declares epsilon 4 at delta 0.00001/);
    expect(refusal(() => withinPinnedBudget(declared, { epsilon: 4, delta: 1e-6 })).code).toBe(
      "unsafe_round",
    );
  });
});
