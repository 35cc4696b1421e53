// End to end: the edge worker under wrangler dev on 127.0.0.1, five SDK clients over HTTP
// holding synthetic evaluations, the MLP router trained through participate() (its statistics
// pass, then two training rounds, each a secure-aggregation round), and the model every client
// fetches afterwards compared with the one simulate() computes from the same data with a plain
// sum and the same round schedule.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quickstart } from "../../../client-sdk/examples/quickstart.ts";
import type { FedrouterClient } from "../../../client-sdk/src/index.ts";
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import {
  type FederatedAlgorithm,
  roundSchedule,
  simulate,
  sumContributions,
} from "../../../core/federated.ts";
import { federatedKMeans, type KMeansState } from "../../../core/kmeans/federated.ts";
import {
  createFederatedMlp,
  type MlpState,
  mlpFromModelFile,
  mlpRouter,
  predictMlp,
} from "../../../core/mlp/index.ts";
import { mlpKind } from "../../../core/mlp/kind.ts";
import { decodeModelFile, type ModelFile } from "../../../core/model-file.ts";
import { seededRandom } from "../../../core/random.ts";
import { quantisationBound } from "../../../core/secagg/index.ts";
import type { ModelPointer, ModelVersion } from "../../../core/wire/models.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import { createOrtTrainer } from "../../../ort/index.ts";
import { type DevEdge, startDevEdge } from "../../browser/dev-edge.ts";
import { EdgeClient } from "../../browser/edge-client.ts";
import {
  embedder,
  embedderInfo,
  enrolSdkClients,
  federation,
  organisations,
  runRounds,
} from "./organisations.ts";

const OPERATOR = "e2e-operator-token";
const SEED = 17;

let edge: DevEdge;
beforeAll(async () => {
  edge = await startDevEdge(OPERATOR);
}, 120_000);
afterAll(async () => {
  await edge?.stop();
});

async function publishedFiles(owner: EdgeClient, token: string, federationId: string): Promise<ModelFile[]> {
  const versions = await owner.request<ModelVersion[]>(
    "GET",
    `/v1/federations/${federationId}/models`,
    token,
  );
  const files: ModelFile[] = [];
  for (const v of versions) {
    const response = await fetch(`${edge.origin}/v1/federations/${federationId}/models/${v.version}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    files.push(decodeModelFile(new Uint8Array(await response.arrayBuffer())));
  }
  return files;
}

const maxAbsDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

/**
 * Pass by pass: each published version against finalise(previous version, plain sum of the
 * cohort's contributions computed directly). Secure aggregation moves each element of the sum by
 * at most the quantisation bound b; the numbers `read` from the state may then move by at most
 * sum_i |d finalise / d total_i| * b, measured here by moving each element of the total by +-b
 * (twice that, plus float32 storage, is the tolerance).
 */
async function checkEachPass<G>(
  algorithm: FederatedAlgorithm<G, EvaluationSet>,
  files: readonly ModelFile[],
  rounds: readonly RoundSummary[],
  contributors: { set: EvaluationSet; index: number }[],
  read: (state: G) => number[],
): Promise<{ worst: number; tolerance: number }[]> {
  const report = [];
  for (const [pass, round] of rounds.entries()) {
    const global = algorithm.fromModelFile(files[pass]!);
    const contributions = [];
    for (const { set, index } of contributors)
      contributions.push(await algorithm.contribute(global, set, roundSchedule(SEED).randomFor(pass, index)));
    const total = sumContributions(contributions, algorithm.contributionLength(global));
    const bound = quantisationBound(contributions.length, round.secureAggregation.scale);
    const expected = read(algorithm.finalise(global, total));
    const reach = new Float64Array(expected.length);
    for (let i = 0; i < total.length; i++) {
      let moved = 0;
      for (const sign of [1, -1]) {
        const shifted = Float64Array.from(total);
        shifted[i]! += sign * bound;
        const values = read(algorithm.finalise(global, shifted));
        for (let k = 0; k < values.length; k++) {
          const change = Math.abs(values[k]! - expected[k]!);
          if (change > moved) moved = change;
          reach[k]! += sign === 1 ? change : 0;
        }
      }
    }
    const published = read(algorithm.fromModelFile(files[pass + 1]!));
    expect(published.length).toBe(expected.length);
    let worst = 0;
    let tolerance = 0;
    for (let k = 0; k < expected.length; k++) {
      const allowed = 2 * reach[k]! + 2 ** -22 * Math.max(1, Math.abs(expected[k]!));
      const difference = Math.abs(published[k]! - expected[k]!);
      expect(difference).toBeLessThanOrEqual(allowed);
      worst = Math.max(worst, difference);
      tolerance = Math.max(tolerance, allowed);
    }
    report.push({ worst, tolerance });
  }
  return report;
}

/** The numbers of an MLP state that finalise computes: weights and the cost normalisation. */
const mlpNumbers = (state: MlpState) => [
  ...state.params,
  ...(state.costStats?.mu ?? []),
  ...(state.costStats?.sigma ?? []),
];

describe("the SDK against the edge over HTTP", () => {
  it("trains the MLP router in secure rounds; every client then fetches the model the simulation computes", async () => {
    const owner = new EdgeClient(edge.origin);
    // The synthetic benchmark's own costs (1e-5 to 1e-2 USD per query): the statistics pass's
    // multi-scale sums (core/mlp/cost-normalisation.ts) keep them resolved through fixed point.
    const orgs = await organisations(5, 30, SEED);
    const hyperparameters = { rounds: 2, hidden: 16, batchSize: 16, localEpochs: 1, seed: 5 };
    const config = federation(orgs[0]!.benchmark, {
      router: { kind: "mlp", hyperparameters },
      // Holds the largest value sent: a model's count of observed cells (at most 30 per client).
      clipping: { min: -256, max: 256 },
    });
    const sent: string[] = [];
    const setUp = await enrolSdkClients(owner, OPERATOR, config, orgs, sent);
    const { owner: ownerToken, federationId, clients, sdk } = setUp;
    const schedule = roundSchedule(SEED);

    // The statistics pass, two training rounds and the calibration pass.
    for (let pass = 0; pass < 4; pass++)
      expect(schedule.participants(pass, sdk.length, 1)).toEqual([0, 1, 2, 3, 4]);
    const { rounds, results } = await runRounds(owner, ownerToken, federationId, sdk, schedule, 4);
    const revealed = ["advertise_keys", "share_keys", "masked_input", "consistency_check", "unmask"];
    for (const [pass, round] of results.entries()) {
      // The unmask stage closes once it holds t shares of every secret: the last clients skip it.
      expect(round.filter((r) => r.stages.includes("unmask")).length).toBeGreaterThanOrEqual(3);
      for (const result of round)
        expect(result).toMatchObject({
          round: pass + 1,
          modelVersion: pass,
          stages: result.stages.includes("unmask") ? revealed : revealed.slice(0, -1),
          examples: 30,
          skipped: 0,
          clipped: 0,
          outcome: { kind: "published", version: pass + 1 },
        });
    }

    // The reference: simulate() from the edge's own initial state, plain sums, same schedule and trainer.
    const setup = { models: orgs[0]!.benchmark.models, embedder: embedderInfo, hyperparameters };
    const initial = mlpKind.initialState(setup);
    const algorithm = createFederatedMlp(createOrtTrainer());
    const reference = await simulate(
      algorithm,
      initial,
      orgs.map((o) => o.set),
      { random: seededRandom(0), schedule, fraction: 1 },
    );
    expect(reference.phase).toBe("done");

    const fetched: MlpState[] = [];
    for (const client of sdk) {
      expect(await client.sync()).toEqual({ version: 4, changed: true });
      fetched.push(mlpFromModelFile(client.modelFile()!));
    }
    expect(new Set(sdk.map((c) => c.model!.sha256)).size).toBe(1);
    const [model] = fetched as [MlpState];
    expect(model.phase).toBe("done");
    expect(model.round).toBe(2);

    // Each pass exactly within the quantisation bound.
    const files = await publishedFiles(owner, ownerToken, federationId);
    expect(files).toHaveLength(5);
    const passes = await checkEachPass(
      algorithm,
      files,
      rounds,
      orgs.map((o, index) => ({ set: o.set, index })),
      mlpNumbers,
    );
    console.info(
      `e2e: per pass, max |published - finalise(plain sum)| ${passes.map((p) => `${p.worst.toExponential(1)} (allowed ${p.tolerance.toExponential(1)})`).join(", ")}`,
    );

    // The whole run against the simulation: the per-pass quantisation differences, carried
    // through local training, against how far another valid run (another schedule seed) lands.
    const other = await simulate(
      algorithm,
      initial,
      orgs.map((o) => o.set),
      { random: seededRandom(0), schedule: roundSchedule(SEED + 100), fraction: 1 },
    );
    const drift = maxAbsDifference(model.params, reference.params);
    const otherDrift = maxAbsDifference(other.params, reference.params);
    expect(drift).toBeLessThan(0.5 * otherDrift);
    // What the router answers, on queries no client holds: the same to 1e-3 in quality and 0.2% in
    // cost, where the other run differs by more than 2e-3 in quality.
    const unseen = syntheticBenchmark({ seed: SEED + 7, queries: 40, tasks: 3, models: 3 }).prompts;
    const vectors = await embedder.embed(unseen);
    const features = new Float32Array(vectors.length * embedder.dimension);
    for (const [i, v] of vectors.entries()) features.set(v, i * embedder.dimension);
    const predicted = await sdk[1]!.predict(vectors);
    const simulated = predictMlp(mlpRouter(reference), features);
    const otherwise = predictMlp(mlpRouter(other), features);
    const m = setup.models.length;
    const gaps = { quality: 0, cost: 0, otherQuality: 0 };
    for (let i = 0; i < vectors.length; i++)
      for (let j = 0; j < m; j++) {
        const k = i * m + j;
        gaps.quality = Math.max(gaps.quality, Math.abs(predicted.quality[i]![j]! - simulated.quality[k]!));
        gaps.cost = Math.max(gaps.cost, Math.abs(predicted.cost[i]![j]! / simulated.cost[k]! - 1));
        gaps.otherQuality = Math.max(
          gaps.otherQuality,
          Math.abs(otherwise.quality[k]! - simulated.quality[k]!),
        );
      }
    console.info(
      `e2e: fetched vs simulated: max weight difference ${drift.toExponential(2)} (another seed ${otherDrift.toExponential(2)}), ` +
        `max quality difference ${gaps.quality.toExponential(2)} (another seed ${gaps.otherQuality.toExponential(2)}), ` +
        `max relative cost difference ${gaps.cost.toExponential(2)}`,
    );
    expect(gaps.quality).toBeLessThan(1e-3);
    expect(gaps.cost).toBeLessThan(2e-3);
    expect(gaps.otherQuality).toBeGreaterThan(2e-3);

    // The README's example runs against the trained federation (no round is left to join).
    const store = join(mkdtempSync(join(tmpdir(), "fedrouter-quickstart-")), "evaluations.jsonl");
    const example = await quickstart(
      edge.origin,
      federationId,
      clients[2]!.token,
      clients[2]!.modelPublicKey,
      store,
    );
    expect(example.version).toBe(4);
    expect(readFileSync(store, "utf8")).toContain(example.model);
    rmSync(dirname(store), { recursive: true, force: true });

    // The clients route with it, and no query text ever left them.
    const decision = await sdk[0]!.route("an unseen question about the weather");
    expect(decision.version).toBe(4);
    for (const org of orgs)
      for (const prompt of org.benchmark.prompts) expect(sent.some((s) => s.includes(prompt))).toBe(false);
  }, 240_000);

  it("publishes from the survivors when a client goes silent after sharing its keys (the fault drill)", async () => {
    const owner = new EdgeClient(edge.origin);
    // Six organisations, so that five, the minimum of survivors, remain; t = 4 is their majority.
    const orgs = await organisations(6, 20, SEED + 1);
    const config = federation(orgs[0]!.benchmark, {
      router: { kind: "kmeans", hyperparameters: { clusters: 1 } },
      roundPolicy: {
        cohortSize: 6,
        minParticipants: 5,
        participationFraction: 1,
        deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 2, unmask: 60 },
      },
      secureAggregation: { threshold: 4, neighbourDegree: "complete", curve: "X25519" },
    });
    const { owner: ownerToken, federationId, sdk } = await enrolSdkClients(owner, OPERATOR, config, orgs);
    const round = await owner.request<RoundSummary>(
      "POST",
      `/v1/federations/${federationId}/rounds`,
      ownerToken,
    );
    const silent = 3;
    const results = await Promise.all(
      sdk.map((client: FedrouterClient, i) =>
        client.participate({
          random: roundSchedule(SEED).randomFor(0, i),
          ...(i === silent ? { stopAfter: "share_keys" as const } : {}),
        }),
      ),
    );
    expect(results[silent]).toMatchObject({
      stages: ["advertise_keys", "share_keys"],
      stoppedAfter: "share_keys",
    });
    for (const result of results.filter((_, i) => i !== silent))
      expect(result.outcome).toEqual({ kind: "published", version: 1 });
    const summary = await owner.request<RoundSummary>(
      "GET",
      `/v1/federations/${federationId}/rounds/1`,
      ownerToken,
    );
    expect(summary.dropouts).toBe(1);
    const pointer = await owner.request<ModelPointer>(
      "GET",
      `/v1/federations/${federationId}/models/latest`,
      ownerToken,
    );
    expect(pointer.version).toBe(1);

    await checkEachPass(
      federatedKMeans,
      await publishedFiles(owner, ownerToken, federationId),
      [round],
      // The survivors' sum: the silent client's input is not in it.
      orgs.map((o, index) => ({ set: o.set, index })).filter(({ index }) => index !== silent),
      (state: KMeansState) => [...state.centroids],
    );
  }, 120_000);
});
