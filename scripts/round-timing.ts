// Times ONE secure-aggregation round of N lightweight clients against the local edge (wrangler dev
// on 127.0.0.1, a throwaway state folder): a K-means federation enrolled in one batch, k and t from
// chooseParameters for the dropout rate, every client in this process running the SDK's
// SecureAggregationSession over HTTP with zero updates. Prints round seconds, seconds per stage and
// workerd's CPU seconds (from /proc). A probe toward the load generator, not that tool:
// no full training, no dropouts, no model check. Bounded: it stops the edge when done or after
// --timeout seconds.  node scripts/round-timing.ts --clients 100 [--shard-size 1000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  type OutgoingMessage,
  roundPath,
  SecureAggregationSession,
} from "../client-sdk/src/round/secure-aggregation.ts";
import { chooseParameters, encode } from "../core/secagg/index.ts";
import { edgeUsage } from "../load/proc.ts";
import { freePort, startEdge } from "../operator/local-edge.ts";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "100" },
    dropout: { type: "string", default: "0.1" },
    timeout: { type: "string", default: "600" },
    /** The federation's roundPolicy.shardSize (default: the edge's, 256); 1000 keeps every round whole. */
    "shard-size": { type: "string" },
    /** Another checkout's worker to time (e.g. main's, to compare under the same load). */
    root: { type: "string", default: resolve(import.meta.dirname, "..") },
  },
});
const n = Number(values.clients);
const deadline = Date.now() + Number(values.timeout) * 1000;

/** CPU seconds (user + system) of this process's descendants named workerd. */
const workerdCpuSeconds = () => edgeUsage().cpuSeconds;

async function call<T>(
  origin: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
  const bytes = body instanceof Uint8Array;
  const response = await fetch(`${origin}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined
        ? {}
        : { "content-type": bytes ? "application/octet-stream" : "application/json" }),
    },
    body: body === undefined ? undefined : bytes ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const stateDir = mkdtempSync(join(tmpdir(), "fedrouter-round-timing-"));
const edge = await startEdge({ root: values.root, stateDir, port: await freePort() });
try {
  const origin = edge.url;
  const chosen = chooseParameters({
    cohortSize: n,
    dropoutRate: Number(values.dropout),
    corruptFraction: 0.1,
  });
  if (!chosen.ok) throw new Error(chosen.message);
  const tenant = await call<{ ownerToken: { token: string } }>(
    origin,
    "POST",
    "/v1/tenants",
    edge.operatorToken,
    {
      name: "round timing",
    },
  );
  const owner = tenant.ownerToken.token;
  const federation = await call<{ id: string }>(origin, "POST", "/v1/federations", owner, {
    name: "round timing",
    router: { kind: "kmeans", hyperparameters: {} },
    models: ["a", "b", "c"].map((id) => ({ id, inputPrice: 1, outputPrice: 1 })),
    embedder: { id: "hashing-1024", dimension: 1024 },
    roundPolicy: {
      cohortSize: n,
      minParticipants: Math.max(5, chosen.value.threshold),
      participationFraction: 1,
      deadlines: { advertiseKeys: 300, shareKeys: 300, maskedInput: 300, unmask: 300 },
      ...(values["shard-size"] ? { shardSize: Number(values["shard-size"]) } : {}),
    },
    secureAggregation: { ...chosen.value, curve: "X25519" },
    clipping: { min: -1000, max: 1000 },
  });
  type Enrolment = { client: { id: string }; token: string };
  const clientsPath = `/v1/federations/${federation.id}/clients`;
  // An edge without batch enrolment (an older checkout) enrols one client per request.
  const enrolments = await call<{ enrolments: Enrolment[] }>(origin, "POST", `${clientsPath}/batch`, owner, {
    clients: Array.from({ length: n }, () => ({})),
  }).then(
    (batch) => batch.enrolments,
    async () => {
      const one: Enrolment[] = [];
      for (let i = 0; i < n; i++) one.push(await call<Enrolment>(origin, "POST", clientsPath, owner, {}));
      return one;
    },
  );
  const cpuBefore = workerdCpuSeconds();
  const probeBefore = process.cpuUsage();
  const started = performance.now();
  type Config = Parameters<SecureAggregationSession["advertiseKeys"]>[0];
  const round = await call<{
    round: number;
    secureAggregation: Config;
    shards?: { shard: number; cohort: string[]; secureAggregation: Config }[];
  }>(origin, "POST", `/v1/federations/${federation.id}/rounds`, owner);
  // A cohort above the shard size runs as shards: each client talks to its own shard's Round.
  const shardOf = new Map(round.shards?.flatMap((s) => s.cohort.map((id) => [id, s] as const)) ?? []);
  const stageDone = new Map<string, number>();
  const send = (base: string, token: string, m: OutgoingMessage) =>
    call(origin, m.method, `${base}/${m.path}`, token, m.method === "PUT" ? m.bytes : m.json);
  const awaitType = async (base: string, token: string, type: string) => {
    for (;;) {
      if (Date.now() > deadline) throw new Error("timed out");
      const message = await call<{ type: string; stage: string }>(origin, "GET", `${base}/message`, token);
      if (message.type === type) return message as never;
      if (message.stage === "done" || message.stage === "aborted") return undefined;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const zeros = new Float64Array(round.secureAggregation.vectorLength);
  await Promise.all(
    enrolments.map(async ({ client, token }) => {
      const shard = shardOf.get(client.id);
      const config = shard?.secureAggregation ?? round.secureAggregation;
      const base = roundPath(federation.id, round.round, shard?.shard);
      const to = [base, token] as const;
      const session = new SecureAggregationSession(client.id);
      const mark = (stage: string) => stageDone.set(stage, performance.now());
      await send(...to, await session.advertiseKeys(config));
      mark("advertise_keys");
      await send(...to, await session.shareKeys(await awaitType(...to, "neighbour_keys")));
      mark("share_keys");
      await send(
        ...to,
        await session.maskedInput(
          await awaitType(...to, "forwarded_shares"),
          encode(zeros, 1, config).vector,
        ),
      );
      mark("masked_input");
      await send(...to, await session.consistencyCheck(await awaitType(...to, "consistency_request")));
      mark("consistency_check");
      const request = await awaitType(...to, "unmask_request");
      if (request) await send(...to, await session.unmask(request)).catch(() => undefined);
      mark("unmask");
    }),
  );
  let summary: { stage: string; outcome: unknown };
  do {
    summary = await call(origin, "GET", `/v1/federations/${federation.id}/rounds/${round.round}`, owner);
    await new Promise((r) => setTimeout(r, 100));
  } while (summary.outcome === null && Date.now() < deadline);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      clients: n,
      neighbourDegree: chosen.value.neighbourDegree,
      threshold: chosen.value.threshold,
      vectorLength: round.secureAggregation.vectorLength,
      shards: round.shards?.map((s) => s.cohort.length) ?? [n],
      roundSeconds: Number(seconds.toFixed(2)),
      lastMessageOfStageSeconds: Object.fromEntries(
        [...stageDone].map(([stage, at]) => [stage, Number(((at - started) / 1000).toFixed(2))]),
      ),
      edgeCpuSeconds: Number((workerdCpuSeconds() - cpuBefore).toFixed(2)),
      probeCpuSeconds: Number(
        ((process.cpuUsage(probeBefore).user + process.cpuUsage(probeBefore).system) / 1e6).toFixed(2),
      ),
      outcome: summary.outcome,
    }),
  );
} finally {
  await edge.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
