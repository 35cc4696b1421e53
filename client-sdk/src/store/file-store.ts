// Keeps evaluations in a JSON Lines file (Node): one appended line per evaluation, so a crash
// loses at most the line being written. Imported by Node apps only, never by browser bundles.
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { FedRouterError } from "../errors.ts";
import type { Evaluation, EvaluationStore } from "./store.ts";

export class FileStore implements EvaluationStore {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  async add(evaluation: Evaluation): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(evaluation)}\n`, { mode: 0o600 });
  }

  async all(): Promise<Evaluation[]> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new FedRouterError("store", `cannot read ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const lines = text.split("\n");
    const evaluations: Evaluation[] = [];
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      try {
        evaluations.push(JSON.parse(line) as Evaluation);
      } catch (cause) {
        // A torn last line (a crash mid-append) is dropped; damage anywhere else is an error.
        if (i === lines.length - 1 || lines.slice(i + 1).every((l) => l.trim() === "")) break;
        throw new FedRouterError("store", `${this.path}:${i + 1} is not a valid evaluation`, { cause });
      }
    }
    return evaluations;
  }

  async count(): Promise<number> {
    return (await this.all()).length;
  }

  async clear(): Promise<void> {
    await writeFile(this.path, "", { mode: 0o600 });
  }
}
