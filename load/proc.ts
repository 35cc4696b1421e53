// What the load generator reads from /proc (Linux): the CPU seconds and resident memory of the
// workerd processes this process started (wrangler dev's edge), and the size of a folder (the
// edge's persisted state). Off Linux the edge's figures read as 0.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const TICKS_PER_SECOND = 100;
const PAGE_BYTES = 4096;

interface ProcessStat {
  pid: number;
  parent: number;
  name: string;
  /** user + system clock ticks. */
  ticks: number;
  rssBytes: number;
}

function processes(): ProcessStat[] {
  const all: ProcessStat[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return all;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      // Fields from the third (state) on: utime is field 14, stime 15, rss (pages) 24.
      const fields = stat.slice(close + 2).split(" ");
      all.push({
        pid: Number(entry),
        parent: Number(fields[1]),
        name: stat.slice(stat.indexOf("(") + 1, close),
        ticks: Number(fields[11]) + Number(fields[12]),
        rssBytes: Number(fields[21]) * PAGE_BYTES,
      });
    } catch {
      // The process ended while we read.
    }
  }
  return all;
}

export interface EdgeUsage {
  /** CPU seconds (user + system) the edge's workerd processes have used so far. */
  cpuSeconds: number;
  /** Their resident memory now. */
  rssBytes: number;
}

/** The CPU and memory of this process's descendants named workerd (the local edge). */
export function edgeUsage(root = process.pid): EdgeUsage {
  const all = processes();
  const parent = new Map(all.map((p) => [p.pid, p.parent]));
  const descends = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === root) return true;
    return false;
  };
  let ticks = 0;
  let rssBytes = 0;
  for (const p of all)
    if (p.name.includes("workerd") && descends(p.pid)) {
      ticks += p.ticks;
      rssBytes += p.rssBytes;
    }
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes };
}

/** Bytes of the files under a folder (0 when it does not exist). */
export function folderBytes(path: string): number {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = join(path, entry);
    const stat = statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    total += stat.isDirectory() ? folderBytes(full) : stat.size;
  }
  return total;
}
