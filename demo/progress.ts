// Progress on stderr: one bar per task (cli-progress) on a terminal, the news lines only
// otherwise (CI logs), nothing with --quiet. Results go to stdout, apart from progress.
import { MultiBar, Presets, type SingleBar } from "cli-progress";

export interface Progress {
  /** A line of news (printed above the bars). */
  log(message: string): void;
  /** Task `task` is at `done` of `total` steps, doing `label`. */
  report(task: string, label: string, done: number, total: number): void;
  stop(): void;
}

export function createProgress(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (quiet) return { log() {}, report() {}, stop() {} };
  // Logs (CI): the news lines only; a bar's every step would drown them.
  if (!stream.isTTY) return { log: (message) => stream.write(`${message}\n`), report() {}, stop() {} };
  const bars = new MultiBar(
    { format: "{bar} {value}/{total} | {task}: {label}", hideCursor: true, stream },
    Presets.shades_classic,
  );
  const byTask = new Map<string, SingleBar>();
  return {
    log: (message) => bars.log(`${message}\n`),
    report(task, label, done, total) {
      let bar = byTask.get(task);
      if (!bar) {
        bar = bars.create(total, 0, { task, label });
        byTask.set(task, bar);
      }
      bar.setTotal(total);
      bar.update(done, { task, label });
    },
    stop() {
      bars.stop();
      byTask.clear();
    },
  };
}
