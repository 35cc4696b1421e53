// The budget an app pins (ClientOptions.privacyBudget) against the one the federation declares:
// the client holds the edge to what the organisation agreed to, not to what the edge says.
import type { PrivacySpec } from "../../../core/wire/privacy.ts";
import { FedRouterError } from "../errors.ts";
import type { PrivacyBudget } from "../options.ts";

/** The declared budget, when it is within the pinned one; throws unsafe_round otherwise. */
export function withinPinnedBudget(
  declared: PrivacySpec | undefined,
  pinned: PrivacyBudget | undefined,
): PrivacySpec | undefined {
  if (!pinned) return declared;
  const wanted = `at most epsilon ${pinned.epsilon} at delta ${pinned.delta}`;
  if (!declared)
    throw new FedRouterError(
      "unsafe_round",
      `this client requires a privacy budget of ${wanted}; the federation declares none`,
    );
  if (declared.epsilon > pinned.epsilon || declared.delta > pinned.delta)
    throw new FedRouterError(
      "unsafe_round",
      `this client requires a privacy budget of ${wanted}; the federation declares epsilon ${declared.epsilon} at delta ${declared.delta}`,
    );
  return declared;
}
