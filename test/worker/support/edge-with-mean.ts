// The edge worker with the tests' "mean" router kind registered: the entry the browser test runs
// under wrangler dev (production registers only the kinds in core/strategies.ts).
import "./mean-strategy.ts";

export { default, Federation, Round, Tenant } from "../../../worker/index.ts";
