import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readExperimentResult } from "../../../experiments/results.ts";

const cli = join(import.meta.dirname, "../../../experiments/cli.ts");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout: 60_000 });

/** The results JSON as `fedrouter experiment` wrote it before its keys took British spelling. */
const withOldKeys = (text: string) =>
  text.replace(/"centralised"/g, '"centralized"').replace(/"personalised/g, '"personalized');

describe("fedrouter table", () => {
  it("prints for an old-key and a new-key results file the tables the experiment printed", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-table-"));
    const current = join(dir, "results.json");
    // Personalised and bootstrapped, so every renamed key (personalisedMinusBest too) is written.
    const experiment = run(
      "experiment",
      ...["--seed", "3", "--clients", "4", "--personalise", "--bootstrap", "10"],
      ...["--out", current, "--quiet"],
    );
    expect(experiment.status, experiment.stderr).toBe(0);
    const text = readFileSync(current, "utf8");
    expect(text).toContain('"personalisedMinusBest"');
    const old = join(dir, "old.json");
    writeFileSync(old, withOldKeys(text));
    expect(readFileSync(old, "utf8")).not.toMatch(/centralised|personalised/);

    const fromCurrent = run("table", current);
    const fromOld = run("table", old);
    expect(fromCurrent.status, fromCurrent.stderr).toBe(0);
    expect(fromOld.status, fromOld.stderr).toBe(0);
    expect(fromCurrent.stdout).toBe(experiment.stdout);
    expect(fromOld.stdout).toBe(experiment.stdout);
    expect(fromOld.stdout).toMatch(
      /\| centralised \| personalised \| personalisedAdaptive \| personalisedFixed \|/,
    );
    expect(fromOld.stdout).toMatch(/^fixed 0\.5\/0\.5: .*worst client -?\d+\.\d s\.e\./m);
  });

  it("prints a results file written before results carried baselines, without them", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-table-legacy-"));
    const current = join(dir, "results.json");
    const experiment = run("experiment", "--seed", "4", "--clients", "3", "--out", current, "--quiet");
    expect(experiment.status, experiment.stderr).toBe(0);
    expect(experiment.stdout).toMatch(/\| queryBlind \| taskLookup \|/);
    const json = JSON.parse(readFileSync(current, "utf8"));
    const withoutBaselines = (record: Record<string, unknown>) => {
      delete record.queryBlind;
      delete record.taskLookup;
    };
    withoutBaselines(json.global);
    withoutBaselines(json.curves);
    for (const client of json.clients) withoutBaselines(client.ownTest);
    const legacy = join(dir, "legacy.json");
    writeFileSync(legacy, withOldKeys(JSON.stringify(json)));
    const printed = run("table", legacy);
    expect(printed.status, printed.stderr).toBe(0);
    expect(printed.stdout).not.toMatch(/queryBlind|taskLookup|baselines/);
    expect(printed.stdout).toMatch(/\| centralised \| pooled \| fed - local \|/);
    // The lines that do not show baselines are printed as the experiment printed them.
    const summary = (text: string) => text.split("\n").find((l) => l.includes("federated beats local"));
    expect(summary(printed.stdout)).toBe(summary(experiment.stdout));
  });

  it("exits 2 with a clear message for a missing file, bad JSON and JSON that is not a result", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-table-bad-"));
    const cases: [string, string | null, RegExp][] = [
      ["missing.json", null, /missing\.json does not exist/],
      ["broken.json", "{ not json", /broken\.json is not valid JSON/],
      ["array.json", "[1, 2]", /array\.json is not an experiment result: expected a JSON object/],
      [
        "partial.json",
        '{"dataset": "x", "router": "kmeans"}',
        /partial\.json is not an experiment result: seed/,
      ],
      [
        "scenario.json",
        '{"scenario": "new-models", "dataset": "x"}',
        /scenario\.json is a new-models scenario result, not an experiment result/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const path = join(dir, name);
      if (content !== null) writeFileSync(path, content);
      const result = run("table", path);
      expect(result.status, name).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe("");
    }
    const noFile = run("table");
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/table takes one results JSON file/);
  });
});

describe("readExperimentResult", () => {
  const client = { id: 0, nTrain: 3, nTest: 2, tasks: { a: 3 } };
  const result = (ownTest: Record<string, number>, global: Record<string, number>) => ({
    dataset: "d",
    router: "kmeans",
    seed: 1,
    seconds: 0.5,
    settings: {
      clients: 1,
      alpha: 0.6,
      preferenceAlpha: 0.45,
      trainFraction: 0.75,
      minQueries: 10,
      partition: "clients",
      embedder: "e",
      dimension: 4,
    },
    clients: [{ ...client, ownTest }],
    global: {
      federated: 0.6,
      localMin: 0.4,
      localMax: 0.5,
      oracle: 0.9,
      bestSingle: 0.5,
      cheapest: 0.3,
      random: 0.4,
      ...global,
    },
    curves: {},
    singleModels: [],
  });

  it("reads old keys under their new names, in their place, and lets a new key win over its old one", () => {
    const read = readExperimentResult(
      result(
        { local: 0.5, federated: 0.6, centralized: 0.1, personalized: 0.7, centralised: 0.2 },
        { centralized: 0.55 },
      ),
    );
    expect(read.clients[0]!.ownTest).toEqual({
      local: 0.5,
      federated: 0.6,
      centralised: 0.2,
      personalised: 0.7,
    });
    expect(Object.keys(read.clients[0]!.ownTest)).toEqual([
      "local",
      "federated",
      "centralised",
      "personalised",
    ]);
    expect(read.global.centralised).toBe(0.55);
    expect(read.global).not.toHaveProperty("centralized");
  });

  it("reads a NaN AUC, which JSON writes as null, back as NaN", () => {
    const read = readExperimentResult(
      JSON.parse(
        JSON.stringify(result({ local: Number.NaN, federated: 0.6, centralised: 0.6 }, { centralised: 0.6 })),
      ),
    );
    expect(read.clients[0]!.ownTest.local).toBeNaN();
  });
});
