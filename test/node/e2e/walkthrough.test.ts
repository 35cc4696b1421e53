// The operator walkthrough of the README, run as written in a fresh copy of the repository
// (docs/operator.md holds the same blocks, word for word): the edge under `npm run dev`, then the
// second terminal's block with bash. The CLI creates a tenant and a federation and enrols three
// organisations (both sides' floors lowered to the protocol's least: the edge's in .dev.vars, each
// participant's own), whose SDK participants train the router to the end while
// `round start --until-final` watches; then it pulls the model. Nothing but the doc's
// commands talks to the edge. Ctrl-C then stops the edge cleanly.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeModelFile } from "../../../core/model-file.ts";
import { stateOf } from "../../../core/routers/registry.ts";
import { freePort } from "../../../operator/local-edge.ts";
import { freshCopy, interrupt, killGroup, ROOT, type Started, startGroup, waitFor } from "./fresh-copy.ts";

/** The shell block after `<!-- walkthrough: name -->` in the README (or another document). */
function block(name: string, document = "README.md"): string {
  const doc = readFileSync(join(ROOT, document), "utf8");
  const found = doc.match(new RegExp(`<!-- walkthrough: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``));
  if (!found?.[1]) throw new Error(`${document} has no walkthrough block "${name}"`);
  return found[1];
}

const copy = freshCopy();
let edge: Started | undefined;
afterAll(() => {
  if (edge) killGroup(edge);
  copy.remove();
});

describe("the operator walkthrough (README.md, and docs/operator.md word for word)", () => {
  it("is the same in docs/operator.md as in the README", () => {
    for (const name of ["edge", "operator"]) expect(block(name, "docs/operator.md")).toBe(block(name));
  });

  it("runs from a fresh copy: edge, tenant, federation, three clients trained to the end, model pulled", async () => {
    const edgeBlock = block("edge").trimEnd().split("\n");
    expect(edgeBlock.at(-1)).toBe("npm run dev");
    const setUp = spawnSync("bash", ["-euo", "pipefail", "-c", edgeBlock.slice(0, -1).join("\n")], {
      cwd: copy.dir,
      encoding: "utf8",
    });
    expect(setUp.status, setUp.stderr).toBe(0);
    const operatorToken = readFileSync(join(copy.dir, ".dev.vars"), "utf8").match(
      /OPERATOR_TOKEN="(.+)"/,
    )?.[1];
    expect(operatorToken).toMatch(/^[0-9a-f]{64}$/);

    // `npm run dev` as the doc says, on free ports (another edge may hold 8787).
    const port = await freePort();
    edge = startGroup(
      "npm",
      ["run", "dev", "--", "--port", String(port), "--inspector-port", String(await freePort())],
      copy.dir,
    );
    await waitFor(edge, /Ready on http:\/\/127\.0\.0\.1:\d+/, 120_000);

    const started = performance.now();
    const run = spawnSync("bash", ["-eo", "pipefail", "-c", block("operator")], {
      cwd: copy.dir,
      encoding: "utf8",
      timeout: 480_000,
      env: { ...process.env, FEDROUTER_EDGE: `http://127.0.0.1:${port}`, FEDROUTER_TOKEN: "" },
    });
    const seconds = (performance.now() - started) / 1000;
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    console.log(`walkthrough's operator block: ${seconds.toFixed(0)} s`);

    // Nothing printed a token it was given; the federation trained to a final K-means router.
    expect(output).not.toContain(operatorToken);
    expect(run.stdout).toMatch(/^id:\s+fed_[0-9a-f]{32}$/m);
    expect(run.stdout.match(/^cli_[0-9a-f]{16}\s+org-\d/gm)).toHaveLength(3);
    const trained =
      run.stdout.match(/^org-\d: took part in (\d+) rounds; holds router version (\d+)$/gm) ?? [];
    expect(trained, output).toHaveLength(3);
    expect(run.stdout).toMatch(/the router is final after \d+ rounds/);
    const file = decodeModelFile(new Uint8Array(readFileSync(join(copy.dir, "router.fedrouter"))));
    expect(file.kind).toBe("kmeans");
    const { kind, state } = stateOf(file);
    expect(kind.algorithm().done(state)).toBe(true);
    const pulled = run.stdout.match(/^wrote router\.fedrouter: version (\d+) of fed_/m);
    expect(Number(pulled?.[1])).toBeGreaterThan(0);
    // Every participant held the version pulled, and every round published with all three inputs.
    for (const line of trained) expect(line).toMatch(new RegExp(`holds router version ${pulled?.[1]}$`));
    const rounds = run.stdout.match(/^\d+\s+done\s+v\d+\s+3\s+3\s+0\s/gm) ?? [];
    expect(rounds.length).toBeGreaterThan(1);
    expect(run.stdout).toMatch(/updates used today/);

    // Ctrl-C in the first terminal: the edge stops at once with a clean exit.
    const before = edge.output().length;
    interrupt(edge);
    const code = await Promise.race([
      edge.exited,
      new Promise<number>((r) => setTimeout(() => r(-1), 20_000)),
    ]);
    expect([0, 130]).toContain(code);
    expect(edge.output().slice(before)).not.toMatch(/goroutine|deadlock|Error/);
  }, 600_000);
});
