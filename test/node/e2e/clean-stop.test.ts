// Ctrl-C on the main job stops its edge with one line and exit code 130 (0 once it only serves,
// with --serve): the terminal's SIGINT reaches the whole process group (npm, node, wrangler's
// esbuild and workerd) and npm passes one more on to node, which must stop wrangler in order
// rather than die half-way (esbuild's Go stack dump). `npm run dev`'s stop is checked at the end
// of the walkthrough test.
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../operator/local-edge.ts";
import { interrupt, killGroup, ROOT, type Started, startGroup, waitFor } from "./fresh-copy.ts";

const dir = mkdtempSync(join(tmpdir(), "fedrouter-stop-"));
let job: Started | undefined;
afterAll(() => {
  if (job) killGroup(job);
  rmSync(dir, { recursive: true, force: true });
});

/** Whether something accepts connections on 127.0.0.1:port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

describe("Ctrl-C on npm start", () => {
  it("stops the edge with one line and exit code 130", async () => {
    const port = await freePort();
    job = startGroup(
      "npm",
      [
        "start",
        "--",
        "--synthetic",
        "--router",
        "kmeans",
        "--embedder",
        "hashing",
        "--state",
        join(dir, "state"),
        "--report",
        join(dir, "report.html"),
        "--port",
        String(port),
      ],
      ROOT,
    );
    // The edge is up and the organisations are being enrolled or trained.
    await waitFor(job, /^kmeans: federation fed_/m, 180_000);
    expect(await listening(port)).toBe(true);
    const before = job.output().length;
    const sent = performance.now();
    interrupt(job);
    const code = await Promise.race([
      job.exited,
      new Promise<number>((r) => setTimeout(() => r(-1), 40_000)),
    ]);
    const after = job.output().slice(before);
    console.log(`stopped in ${((performance.now() - sent) / 1000).toFixed(1)} s`);
    expect(code, after).toBe(130);
    expect(after.split("\n").filter((line) => line.trim() !== "")).toEqual([
      "fedrouter: SIGINT: stopping the edge",
    ]);
    expect(await listening(port)).toBe(false);
  }, 240_000);
});
