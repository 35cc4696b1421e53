// The main job's command line: defaults relative to the repository, paths relative to the caller,
// and a clear refusal of anything else.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMainArguments, resultPath, UsageError } from "../../../demo/arguments.ts";

/** A fake checkout: <dir>/repo, with ../shared/data/routerbench-subset beside it when asked. */
function checkout(withData: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "fedrouter-main-args-"));
  const root = join(dir, "repo");
  mkdirSync(root);
  if (withData) mkdirSync(join(dir, "shared/data/routerbench-subset"), { recursive: true });
  return root;
}

describe("npm start arguments", () => {
  it("defaults to the shared RouterBench subset when it is beside the clone, synthetic otherwise", () => {
    const withData = checkout(true);
    const options = parseMainArguments([], withData, "/elsewhere");
    expect(options.data).toBe(join(withData, "../shared/data/routerbench-subset"));
    expect(options).toMatchObject({
      seed: 1,
      routers: ["kmeans", "mlp"],
      embedder: "use-lite",
      out: undefined,
      report: join(withData, "out/report.html"),
      state: join(withData, "out/state"),
      port: undefined,
      serve: false,
      quiet: false,
      timeoutMs: 20 * 60_000,
    });
    expect(parseMainArguments([], checkout(false)).data).toBeUndefined();
    expect(parseMainArguments(["--synthetic"], withData).data).toBeUndefined();
  });

  it("reads every flag, resolving paths from the working directory", () => {
    const root = checkout(false);
    const cwd = mkdtempSync(join(tmpdir(), "fedrouter-main-cwd-"));
    mkdirSync(join(cwd, "bench-data"));
    const options = parseMainArguments(
      [
        "--data",
        "bench-data",
        "--seed",
        "7",
        "--router",
        "mlp",
        "--embedder",
        "use-lite/w128-last",
        "--out",
        "runs/results.json",
        "--report",
        "r.html",
        "--state",
        "st",
        "--port",
        "9000",
        "--serve",
        "--timeout",
        "3",
        "--quiet",
      ],
      root,
      cwd,
    );
    expect(options).toMatchObject({
      data: join(cwd, "bench-data"),
      seed: 7,
      routers: ["mlp"],
      embedder: "use-lite/w128-last",
      out: { kmeans: join(cwd, "runs/results.kmeans.json"), mlp: join(cwd, "runs/results.mlp.json") },
      report: join(cwd, "r.html"),
      state: join(cwd, "st"),
      port: 9000,
      serve: true,
      timeoutMs: 3 * 60_000,
      quiet: true,
    });
  });

  it("names one results file per router", () => {
    expect(resultPath("/tmp/results.json", "kmeans")).toBe("/tmp/results.kmeans.json");
    expect(resultPath("/tmp/run", "mlp")).toBe("/tmp/run.mlp.json");
  });

  it("refuses bad values with a usage error", () => {
    const root = checkout(false);
    for (const argv of [
      ["--seed", "x"],
      ["--seed", "1.5"],
      ["--router", "forest"],
      ["--port", "70000"],
      ["--timeout", "0"],
      ["--data", "/no/such/folder"],
      ["--data", "/tmp", "--synthetic"],
      ["--unknown"],
      ["positional"],
    ]) {
      expect(() => parseMainArguments(argv, root), argv.join(" ")).toThrow(UsageError);
    }
  });
});
