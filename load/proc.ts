// What the load generator reads from /proc (Linux): the CPU seconds and resident memory of the
// workerd processes this process started (wrangler dev's edge, and its proxy apart), and the size
// of a folder (the edge's persisted state). Off Linux the edge's figures read as 0.
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
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
  /**
   * CPU seconds (user + system) so far of the workerd that runs the worker, its Durable Objects and
   * KV: the edge. Without a proxy port, of every workerd this process started.
   */
  cpuSeconds: number;
  /** Its resident memory now. */
  rssBytes: number;
  /**
   * The same of wrangler dev's proxy: a second workerd that holds the public port and forwards each
   * request to the first. Only local runs have it (a deployed worker is reached directly), so the
   * load report counts it apart. 0 without a proxy port.
   */
  proxyCpuSeconds: number;
  proxyRssBytes: number;
}

/** Listening TCP sockets of the loopback or any address, as socket inode -> port (/proc/net/tcp, tcp6). */
function listeningSockets(): Map<string, number> {
  const sockets = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // local address "hex ip:hex port", state 0A = LISTEN, inode in the tenth column.
      if (fields[3] === "0A") sockets.set(fields[9]!, Number.parseInt(fields[1]?.split(":")[1] ?? "", 16));
    }
  }
  return sockets;
}

/** The socket inodes a process holds. */
function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(match[1]!);
    } catch {
      // The descriptor closed while we read.
    }
  }
  return inodes;
}

/** The TCP ports a process listens on. */
function listeningPorts(pid: number, sockets = listeningSockets()): number[] {
  return socketInodes(pid).flatMap((inode) => {
    const port = sockets.get(inode);
    return port === undefined ? [] : [port];
  });
}

/** The workerd processes this process started: the edge's, and wrangler dev's proxy among them. */
export class EdgeProcesses {
  readonly #root: number;
  readonly #proxyPort: number | undefined;
  #proxyPid: number | undefined;

  /** `proxyPort`: the port the local edge's URL names (wrangler dev's proxy listens on it). */
  constructor(proxyPort?: number, root = process.pid) {
    this.#proxyPort = proxyPort;
    this.#root = root;
  }

  /**
   * The ports the edge's own workerd (not the proxy) listens on: one of them serves the worker
   * directly, as a deployed edge is reached, without wrangler dev's proxy in between.
   */
  runtimePorts(): number[] {
    const sockets = listeningSockets();
    return this.#workerd(processes())
      .filter((p) => p.pid !== this.#proxyPid)
      .flatMap((p) => listeningPorts(p.pid, sockets))
      .filter((port) => port !== this.#proxyPort);
  }

  /** This process's workerd descendants; finds the proxy among them. */
  #workerd(all: ProcessStat[]): ProcessStat[] {
    const parent = new Map(all.map((p) => [p.pid, p.parent]));
    const descends = (pid: number): boolean => {
      for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p))
        if (p === this.#root) return true;
      return false;
    };
    const workerd = all.filter((p) => p.name.includes("workerd") && descends(p.pid));
    // Found once and kept while it lives (a restart of the runtime leaves the proxy in place).
    if (this.#proxyPort !== undefined && !workerd.some((p) => p.pid === this.#proxyPid)) {
      const sockets = listeningSockets();
      this.#proxyPid = workerd.find((p) => listeningPorts(p.pid, sockets).includes(this.#proxyPort!))?.pid;
    }
    return workerd;
  }

  usage(): EdgeUsage {
    const workerd = this.#workerd(processes());
    const usage: EdgeUsage = { cpuSeconds: 0, rssBytes: 0, proxyCpuSeconds: 0, proxyRssBytes: 0 };
    for (const p of workerd)
      if (p.pid === this.#proxyPid) {
        usage.proxyCpuSeconds += p.ticks / TICKS_PER_SECOND;
        usage.proxyRssBytes += p.rssBytes;
      } else {
        usage.cpuSeconds += p.ticks / TICKS_PER_SECOND;
        usage.rssBytes += p.rssBytes;
      }
    return usage;
  }
}

/** The CPU and memory of this process's descendants named workerd, proxy included. */
export function edgeUsage(root = process.pid): EdgeUsage {
  return new EdgeProcesses(undefined, root).usage();
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
