// A fresh copy of the repository for the tests that run it as a new user would: the files git
// tracks or would track (no .dev.vars, no .wrangler state, no out/), with node_modules linked
// (the tests never install packages), and a process group that can be stopped as a terminal does.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../../..");

export function freshCopy(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "fedrouter-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((path) => path && path !== "node_modules" && existsSync(join(ROOT, path)));
  for (const path of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    copyFileSync(join(ROOT, path), join(dir, path));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or 128 + signal number) when the group's leader exits. */
  exited: Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

/** Starts `command` in a process group of its own (as a shell starts a foreground job). */
export function startGroup(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Started {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number>((resolve) =>
    child.on("exit", (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ""] ?? 0))),
  );
  return { child, output: () => text, exited };
}

/** Waits until the output matches `pattern`, or fails after `ms` with the output so far. */
export async function waitFor(started: Started, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(started.output())) {
    if (started.child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms / 1000} s:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
export function interrupt(started: Started): void {
  process.kill(-started.child.pid!, "SIGINT");
}

/** Whatever is left of the group, killed (a test's last resort, after its assertions). */
export function killGroup(started: Started): void {
  try {
    process.kill(-started.child.pid!, "SIGKILL");
  } catch {}
}
