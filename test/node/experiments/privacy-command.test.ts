// `fedrouter privacy` against dp_accounting's RdpAccountant (commit b5b0286 of
// google/differential-privacy: PoissonSampledDpEvent(q, GaussianDpEvent(z)) composed n times,
// get_epsilon_and_optimal_order(delta)), plus one run through the CLI's dispatch.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { epsilonCommand } from "../../../experiments/privacy-command.ts";

/** The command's parsed values for these flags, as the command line hands them over. */
const privacyCommand = (argv: string[]) => {
  const value = (flag: string) => {
    const at = argv.indexOf(`--${flag}`);
    return at < 0 ? undefined : argv[at + 1];
  };
  return epsilonCommand({
    "sampling-rate": value("sampling-rate"),
    "noise-multiplier": value("noise-multiplier"),
    steps: value("steps"),
    delta: value("delta"),
    json: argv.includes("--json"),
  });
};

const flags = (q: number, z: number, steps: number, delta: number) => [
  "--sampling-rate",
  String(q),
  "--noise-multiplier",
  String(z),
  "--steps",
  String(steps),
  "--delta",
  String(delta),
];

describe("fedrouter privacy", () => {
  it.each([
    [0.01, 1.1, 10000, 1e-5, 5.632010670081592, 4.7],
    [0.001, 0.8, 5000, 1e-6, 1.5923077632444487, 8.3],
    [1, 3, 1, 1e-5, 1.3862750468052074, 14],
  ])(
    "prints dp_accounting's epsilon and order for q %d, z %d, %d steps, delta %d",
    (q, z, steps, delta, epsilon, order) => {
      const printed = JSON.parse(privacyCommand([...flags(q, z, steps, delta), "--json"])) as {
        epsilon: number;
        order: number;
      };
      expect(Math.abs(printed.epsilon - epsilon) / epsilon).toBeLessThan(1e-6);
      expect(printed.order).toBeCloseTo(order, 12);
      expect(privacyCommand(flags(q, z, steps, delta))).toMatch(/^epsilon \d+\.\d+ at delta/);
    },
  );

  it("spends nothing in zero steps and rejects a sampling rate above 1", () => {
    expect(JSON.parse(privacyCommand([...flags(0.5, 1, 0, 1e-5), "--json"])).epsilon).toBe(0);
    expect(() => privacyCommand(flags(2, 1, 10, 1e-5))).toThrow(/--sampling-rate/);
    expect(() => privacyCommand(["--noise-multiplier", "1"])).toThrow(/required/);
  });

  it("is dispatched by the CLI, exiting 2 on a usage error", () => {
    const cli = join(import.meta.dirname, "../../../experiments/cli.ts");
    const ok = spawnSync(process.execPath, [cli, "privacy", ...flags(1, 3, 1, 1e-5), "--json"], {
      encoding: "utf8",
    });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ epsilon: 1.3862750468052074, order: 14 });
    const bad = spawnSync(process.execPath, [cli, "privacy", ...flags(1, -3, 1, 1e-5)], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--noise-multiplier/);
  });
});
