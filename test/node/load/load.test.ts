// The load generator end to end at a tiny size: `npm run load`'s CLI with 10 clients, a K-means
// router of one cluster (a Lloyd pass and the statistics pass), seeded dropouts at p = 0.2,
// against the local edge it starts itself; its JSON report has the documented shape, no 5xx, and
// the published model is the simulation of the survivors' data.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { LoadReport } from "../../../load/report.ts";

const root = resolve(import.meta.dirname, "../../..");
const folder = mkdtempSync(join(tmpdir(), "fedrouter-load-test-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("npm run load", () => {
  it("trains a tiny federation through dropouts and reports figures that check out", async () => {
    const out = join(folder, "load.json");
    // Seed 1 drops two clients before their masked input in round 1 and one in round 2 (10
    // clients, t = 6 of 9 neighbours: a round survives up to 4 silent neighbours).
    const args = ["--clients", "10", "--router", "kmeans", "--dropout", "0.2", "--seed", "1"];
    args.push("--set", "clusters=1", "--set", "lloydPasses=1", "--dimension", "16", "--queries", "4");
    args.push(
      "--poll-ms",
      "100",
      "--deadline",
      "4",
      "--advertise-deadline",
      "5",
      "--timeout",
      "150",
      "--out",
      out,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [join(root, "load/cli.ts"), ...args], {
      cwd: root,
    });
    expect(JSON.parse(stdout.trim().split("\n").pop()!)).toMatchObject({ out, completed: true });
    const report = JSON.parse(readFileSync(out, "utf8")) as LoadReport;
    expect(report).toMatchObject({ clients: 10, router: "kmeans", shards: 1, status5xx: 0 });
    expect(report.modelMatchesSimulation).toBe(true);
    expect(report.published).toBe(2);
    expect(report.rounds).toBeGreaterThanOrEqual(2);
    expect(report.perRound).toHaveLength(report.rounds);
    for (const round of report.perRound) {
      expect(round.seconds).toBeGreaterThan(0);
      expect(round.survivors + round.dropouts).toBeLessThanOrEqual(10);
      if (round.outcome === "published") expect(round.survivorsSeenByClients).toBe(round.survivors);
      // The stage timeline: every survivor sent its masked input, after its keys and before unmask.
      const { "advertise-keys": advertised, "masked-input": masked, unmask } = round.timeline;
      if (round.outcome === "published") expect(masked?.count).toBeGreaterThanOrEqual(round.survivors);
      if (advertised && masked) expect(masked.sent[0]).toBeGreaterThanOrEqual(advertised.sent[0]);
      if (masked && unmask) expect(unmask.sent[2]).toBeGreaterThanOrEqual(masked.sent[2]);
    }
    // The seeded dropouts happened, and the model check summed only the survivors.
    expect(report.perRound.some((r) => r.outcome === "published" && r.survivors < 10)).toBe(true);
    expect(report.modelCheck.map((c) => c.matches)).toEqual([true, true]);
    for (const figure of ["totalSeconds", "roundSecondsP50", "roundSecondsP99", "requestsPerSecond"] as const)
      expect(report[figure]).toBeGreaterThan(0);
    expect(report.roundSecondsP99).toBeGreaterThanOrEqual(report.roundSecondsP50);
    expect(report.edgeCpuSecondsP99).toBeGreaterThan(0);
    expect(report.generatorCpuSecondsP99).toBeGreaterThan(0);
    expect(report.peakRssMb.edge).toBeGreaterThan(0);
    // wrangler dev's proxy was found (by the port it listens on) and counted apart from the edge,
    // and the requests went past it, straight to the edge's workerd: it forwarded none of them
    // (through it, it spends about 0.4 of the edge's CPU; see load:cost).
    expect(report.viaDevProxy).toBe(false);
    expect(report.peakRssMb.devProxy).toBeGreaterThan(0);
    expect(report.devProxyCpuSecondsTotal).toBeLessThan(0.05 * report.edgeCpuSecondsTotal);
    expect(report.peakRssMb.generator).toBeGreaterThan(0);
    expect(report.storageBytes).toBeGreaterThan(0);
    const advertise = report.routes["POST /v1/federations/{id}/rounds/{n}/advertise-keys"];
    expect(advertise?.count).toBeGreaterThanOrEqual(report.perRound[0]!.survivors);
    expect(advertise!.p99Ms).toBeGreaterThanOrEqual(advertise!.p50Ms);
  }, 180_000);
});
