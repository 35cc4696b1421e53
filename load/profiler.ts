// A CPU profile of the edge's JavaScript (the worker and its Durable Objects, one isolate under
// workerd) through the V8 inspector wrangler dev serves (Chrome DevTools protocol over a
// WebSocket), summed by function and by source file, to say where the edge's CPU goes.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  /** Sampled milliseconds of JavaScript (idle and the engine's own work included, by name). */
  sampledMs: number;
  functions: { name: string; selfMs: number; share: number }[];
  files: { file: string; selfMs: number; share: number }[];
}

/** Self time per function and per file, the largest first. */
export function summariseProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const msPerHit = hits > 0 ? (profile.endTime - profile.startTime) / 1000 / hits : 0;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const { callFrame, hitCount = 0 } of profile.nodes) {
    if (hitCount === 0) continue;
    const file = callFrame.url.split("/").slice(-2).join("/") || "(native)";
    const name = `${callFrame.functionName || "(anonymous)"} ${file}:${callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hitCount);
    byFile.set(file, (byFile.get(file) ?? 0) + hitCount);
  }
  const ranked = <K extends string>(map: Map<string, number>, key: K) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([label, count]) => ({
        [key]: label,
        selfMs: Math.round(count * msPerHit),
        share: Math.round((1000 * count) / hits) / 1000,
      })) as ({ [P in K]: string } & { selfMs: number; share: number })[];
  return {
    sampledMs: Math.round(hits * msPerHit),
    functions: ranked(byFunction, "name"),
    files: ranked(byFile, "file"),
  };
}

export interface Profiler {
  stop(): Promise<CpuProfile>;
}

/** Starts sampling the worker served on the inspector port (every `intervalUs` microseconds). */
export async function startProfiler(inspectorPort: number, intervalUs = 1000): Promise<Profiler> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`);
  // wrangler's inspector proxy takes DevTools connections from a local origin only.
  const socket = new WebSocket(url, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), { once: true });
  });
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message?: string };
    };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    // workerd answers some commands (Profiler.enable, .start) with no result at all.
    if (message.error)
      waiter.reject(new Error(`the inspector refused: ${message.error.message ?? "an error"}`));
    else waiter.resolve(message.result ?? {});
  });
  socket.addEventListener("close", () => {
    for (const waiter of pending.values()) waiter.reject(new Error("the inspector closed the connection"));
    pending.clear();
  });
  let next = 1;
  const send = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: intervalUs });
  await send("Profiler.start");
  return {
    async stop() {
      const { profile } = (await send("Profiler.stop")) as { profile?: CpuProfile };
      socket.close();
      if (!profile) throw new Error("the inspector stopped the profiler without a profile");
      return profile;
    },
  };
}
