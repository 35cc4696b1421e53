import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const cli = join(import.meta.dirname, "../../../experiments/cli.ts");
// Experiments here embed with the hashing embedder unless a test names one: use-lite (the default)
// would spend minutes on the synthetic prompts, and its cache goes to a folder of the test's own.
const cache = mkdtempSync(join(tmpdir(), "fedrouter-cache-"));
const run = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [
      cli,
      ...args,
      ...(args[0] === "experiment" && !args.includes("--embedder") ? ["--embedder", "hashing"] : []),
    ],
    { encoding: "utf8", timeout: 60_000, env: { ...process.env, XDG_CACHE_HOME: cache } },
  );

describe("fedrouter experiment", () => {
  it("runs the paper's protocol on the synthetic benchmark and writes the results JSON and plot", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-cli-"));
    const out = join(dir, "results.json");
    const plot = join(dir, "plot.svg");
    const result = run(
      "experiment",
      "--seed",
      "2",
      "--clients",
      "5",
      "--out",
      out,
      "--plot",
      plot,
      "--quiet",
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/federated beats local for \d+\/5 clients/);
    const json = JSON.parse(readFileSync(out, "utf8"));
    expect(json).toMatchObject({
      dataset: "synthetic-2",
      router: "kmeans",
      seed: 2,
      seconds: expect.any(Number),
    });
    expect(json.clients).toHaveLength(5);
    for (const client of json.clients) {
      expect(client).toMatchObject({ id: expect.any(Number), nTrain: expect.any(Number) });
      for (const key of ["local", "federated", "centralised"]) expect(client.ownTest[key]).toBeGreaterThan(0);
    }
    for (const key of [
      "federated",
      "centralised",
      "localMin",
      "localMax",
      "oracle",
      "bestSingle",
      "random",
    ]) {
      expect(json.global[key]).toBeGreaterThan(0);
      expect(json.global[key]).toBeLessThanOrEqual(1);
    }
    // The oracle bounds every router from above on its own curve's terms.
    expect(json.global.oracle).toBeGreaterThanOrEqual(json.global.federated);
    // The baselines, on the global test set with their curves and on each client's own.
    for (const name of ["queryBlind", "taskLookup"]) {
      expect(json.global[name]).toBeGreaterThan(0);
      expect(json.global.oracle).toBeGreaterThanOrEqual(json.global[name]);
      expect(json.curves[name]).toHaveLength(100);
      for (const client of json.clients) expect(client.ownTest[name]).toBeGreaterThan(0);
    }
    // Synthetic quality depends on the task, so knowing it beats ignoring the query.
    expect(json.global.taskLookup).toBeGreaterThan(json.global.queryBlind);
    expect(result.stdout).toMatch(/\| centralised \| queryBlind \| taskLookup \|/);
    const line = result.stdout.split("\n").find((l) => l.startsWith("baselines, global:"));
    const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(3)}`;
    expect(line).toContain(
      `federated - queryBlind ${signed(json.global.federated - json.global.queryBlind)}`,
    );
    expect(line).toContain(
      `federated - taskLookup ${signed(json.global.federated - json.global.taskLookup)}`,
    );
    const beaten = json.clients.filter(
      (c: { ownTest: { federated: number; queryBlind: number } }) =>
        c.ownTest.federated > c.ownTest.queryBlind,
    ).length;
    expect(line).toContain(`federated beats queryBlind for ${beaten}/5`);
    const svg = readFileSync(plot, "utf8");
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain("federated");
    expect(svg).toContain(">queryBlind<");
    expect(svg).toContain(">taskLookup<");
  });

  it("rejects an unknown flag with exit code 2 and a clear message", () => {
    const result = run("experiment", "--colour", "red");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--colour'/);
  });

  it("rejects a bad value, a missing data folder and a malformed file", () => {
    const bad = run("experiment", "--clients", "many");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--clients got "many"/);
    const oneResample = run("experiment", "--bootstrap", "1");
    expect(oneResample.status).toBe(2);
    expect(oneResample.stderr).toMatch(/--bootstrap got "1"/);
    const missing = run("experiment", "--data", "/nonexistent/folder");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-bad-"));
    writeFileSync(join(dir, "llm_candidates.json"), "{ not json");
    const malformed = run("experiment", "--data", dir);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/llm_candidates.json is not valid JSON/);
  });

  it("rejects an embedder it cannot build, naming both ids when the weights differ", () => {
    const malformed = run("experiment", "--embedder", "no such thing", "--quiet");
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain("names no embedder");
    const otherWeights = run("experiment", "--embedder", "use-lite@ffffffffffff/w128-mean", "--quiet");
    expect(otherWeights.status).toBe(2);
    expect(otherWeights.stderr).toMatch(/use-lite@ffffffffffff\/w128-mean.*use-lite@[0-9a-f]{12}\/w128-mean/);
    const unregistered = run("experiment", "--embedder", "unheard-of/w128-mean", "--quiet");
    expect(unregistered.status).toBe(2);
    expect(unregistered.stderr).toContain('no embedder is registered as "unheard-of"');
  });

  it("rejects an unknown router kind", () => {
    const result = run("experiment", "--router", "forest");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--router must be one of/);
  });

  it("gives each query its task label as a tag with --tags task, and refuses another source", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-tags-"));
    const out = join(dir, "results.json");
    const tagged = run(
      "experiment",
      "--seed",
      "3",
      "--clients",
      "4",
      "--tags",
      "task",
      "--out",
      out,
      "--quiet",
    );
    expect(tagged.status, tagged.stderr).toBe(0);
    const json = JSON.parse(readFileSync(out, "utf8"));
    expect(json.settings.tags).toBe("task");
    expect(json.settings.tagVocabulary.length).toBeGreaterThan(1);
    const unknown = run("experiment", "--tags", "endpoint");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/--tags must be one of task/);
    const scenario = run("experiment", "--tags", "task", "--scenario", "new-models");
    expect(scenario.status).toBe(2);
    expect(scenario.stderr).toMatch(/--tags applies to the standard and high-het scenarios/);
  });
});
