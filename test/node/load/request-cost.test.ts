// `npm run load:cost` at its smallest: the runtime's floor and four kinds of request to a local edge,
// each answered as it should be, with workerd's CPU per request measured for every kind (the
// edge's and, apart, that of wrangler dev's proxy).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { RequestCost } from "../../../load/request-cost.ts";

const root = resolve(import.meta.dirname, "../../..");
const folder = mkdtempSync(join(tmpdir(), "fedrouter-cost-test-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("npm run load:cost", () => {
  it("measures the runtime's floor and each kind of request, every one answered as it should be", async () => {
    const out = join(folder, "cost.json");
    await promisify(execFile)(
      process.execPath,
      [join(root, "load/request-cost.ts"), "--requests", "100", "--out", out],
      { cwd: root },
    );
    const report = JSON.parse(readFileSync(out, "utf8")) as { requests: number; costs: RequestCost[] };
    expect(report.requests).toBe(100);
    // The floor answers ok; an unknown path and a round that is not open are 404 envelopes.
    expect(report.costs.map((c) => c.status)).toEqual([200, 404, 404, 200, 200]);
    for (const cost of report.costs) {
      expect(cost.cpuMsPerRequest).toBeGreaterThan(0);
      // wrangler dev's proxy forwarded each one, and was counted apart.
      expect(cost.devProxyCpuMsPerRequest).toBeGreaterThan(0);
      expect(cost.wallMsPerRequest).toBeGreaterThan(0);
    }
  }, 120_000);
});
