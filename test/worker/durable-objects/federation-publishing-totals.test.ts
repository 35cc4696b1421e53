// Malicious clients through the real edge: one cohort member bypasses the SDK's encoding and
// clipping and masks a vector it crafted (a weight it does not have, a word that wraps the sum,
// counts, sums and deltas its data cannot make). Secure aggregation hides each input, so only the
// decoded total shows it: the round aborts with `implausible_total` and a reason, no version is
// published from it, and the next honest round trains on as if it had never happened.
import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import { type FederatedAlgorithm, sumContributions } from "../../../core/federated.ts";
import { federatedKMeans } from "../../../core/kmeans/federated.ts";
import { STATS_PARTS } from "../../../core/kmeans/router.ts";
import { createFederatedMlp } from "../../../core/mlp/federated.ts";
import { createReferenceTrainer } from "../../../core/mlp/reference-trainer.ts";
import { seededRandom } from "../../../core/random.ts";
import type { FederationConfigInput } from "../../../core/wire/federation.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { meanAlgorithm } from "../../support/mean-kind.ts";
import { createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { changed, unclipped, withWord } from "../support/crafted.ts";
import { evaluationShape, federationConfig, wholeCohortRounds } from "../support/federation-config.ts";
import { latestModel, runRound } from "../support/rounds.ts";
import type { CraftedInput } from "../support/sim-client.ts";

// Five clients (the platform's floors), all in every cohort, on the complete graph: small rounds, so many run.
const policy = wholeCohortRounds(5);

type Algorithm = FederatedAlgorithm<unknown, EvaluationSet>;

/** A federation whose clients hold seeded evaluation sets; client 0 is the malicious one. */
async function federation(overrides: Partial<FederationConfigInput>, queries: number) {
  const config = federationConfig({ ...policy, ...overrides });
  const handle = await createFederation(await createTenant(), 5, { ...policy, ...overrides });
  const sets = seededClientSets(
    handle.clients.map((c) => c.clientId),
    seededRandom(5),
    evaluationShape(queries, config),
  );
  return { handle, sets, malicious: handle.clients[0]!.clientId };
}

interface Setup {
  handle: FederationHandle;
  sets: Map<string, EvaluationSet>;
  malicious: string;
}

/** What every client would honestly contribute to the latest version, and the others' sum. */
async function honestRound(setup: Setup, algorithm: Algorithm) {
  const global = algorithm.fromModelFile((await latestModel(setup.handle)).file);
  const honest = new Map<string, Float64Array>();
  for (const [id, set] of setup.sets)
    honest.set(id, Float64Array.from(await algorithm.contribute(global, set, seededRandom(id.length))));
  const others = [...honest].filter(([id]) => id !== setup.malicious).map(([, c]) => c);
  return { global, honest, others: sumContributions(others, others[0]!.length) };
}

/**
 * Runs a round in which the malicious client sends `attack` (built from its honest contribution
 * and the others' sum) while the others send theirs, and expects the total refused for `reason`
 * and the latest version unchanged.
 */
async function expectRefused(
  setup: Setup,
  algorithm: Algorithm,
  attack: (own: Float64Array, others: Float64Array) => CraftedInput,
  reason: RegExp,
) {
  const { handle, malicious } = setup;
  const before = (await latestModel(handle)).pointer.version;
  const { honest, others } = await honestRound(setup, algorithm);
  const attacked = await runRound(handle, (id) =>
    id === malicious ? attack(honest.get(id)!, others) : honest.get(id)!,
  );
  // The protocol itself completed: only the decoded total gave the client away.
  expect(attacked.summary.stage).toBe("done");
  expect(attacked.summary.outcome).toEqual({
    kind: "aborted",
    code: "implausible_total",
    message: expect.stringMatching(reason),
  });
  expect((await latestModel(handle)).pointer.version).toBe(before);
}

/** Runs a round of honest clients and expects it published as `version`. */
async function expectHonestRound(setup: Setup, algorithm: Algorithm, version: number) {
  const { honest } = await honestRound(setup, algorithm);
  const run = await runRound(setup.handle, (id) => honest.get(id)!);
  expect(run.summary.outcome).toEqual({ kind: "published", version });
}

describe("malicious clients on the edge", () => {
  it("cannot publish a total whose weight slot, wrapped word or counts no honest clients send", async () => {
    const setup = await federation(
      { router: { kind: "mean", hyperparameters: {} }, clipping: { min: -8, max: 8 } },
      4,
    );
    const algorithm = meanAlgorithm as Algorithm;
    // It claims weight 2 (its values doubled with it, so that their average looks the same).
    await expectRefused(setup, algorithm, (own) => unclipped(own, 2), /weight slot sums to 6, but 5 clients/);
    // 2^31 - 1 in its count slot wraps the sum mod 2^32.
    await expectRefused(
      setup,
      algorithm,
      (own) => withWord(own, 1, 2 ** 31 - 1),
      /element 0 .*skipped clipping/,
    );
    // A count within the clipping range that leaves the total below zero.
    await expectRefused(
      setup,
      algorithm,
      (own, others) => changed(own, (x) => (x[0] = -others[0]! - 1)),
      /small-model's count is -1, below zero/,
    );
    // More quality than cells.
    await expectRefused(
      setup,
      algorithm,
      (own, others) => changed(own, (x) => (x[4] = others[3]! + x[3]! - others[4]! + 1)),
      /large-model's quality sum is .*, above /,
    );
    await expectHonestRound(setup, algorithm, 1);
    const usage = await expectStatus(200, "GET", `/v1/federations/${setup.handle.federationId}/usage`, {
      token: setup.handle.ownerToken,
    });
    expect(usage).toMatchObject({ roundsAborted: 4, roundsRun: 1 });
  });

  it("cannot publish K-means Lloyd, power or statistics sums its points cannot make", async () => {
    const setup = await federation(
      {
        router: { kind: "kmeans", hyperparameters: { clusters: 2, lloydPasses: 1, powerPasses: 1 } },
        clipping: { min: -64, max: 64 },
      },
      8,
    );
    const algorithm = federatedKMeans as Algorithm;
    const d = 6;
    // Lloyd: the one cluster's vector sum twice as long as its count allows (a centroid off the unit ball).
    await expectRefused(
      setup,
      algorithm,
      (own, others) =>
        changed(own, (x) => {
          const count = others[0]! + x[0]!;
          for (let i = 0; i < d; i++) x[2 + i] = (i === 0 ? 2 * count : 0) - others[2 + i]!;
        }),
      /cluster 0's vector sum has norm .*, above /,
    );
    await expectHonestRound(setup, algorithm, 1);
    // Power: the splitting cluster's sum pushed near the clipping range's end in every element.
    await expectRefused(
      setup,
      algorithm,
      (own, others) =>
        changed(own, (x) => {
          for (let i = 1; i <= d; i++) x[i] = 240 - others[i]!;
        }),
      /splitting cluster 0's power sum has norm .*, above /,
    );
    await expectHonestRound(setup, algorithm, 2);
    await expectHonestRound(setup, algorithm, 3);
    // Statistics: more quality than cells in cell 0.
    await expectRefused(
      setup,
      algorithm,
      (own, others) => {
        const cells = own.length / STATS_PARTS;
        return changed(own, (x) => (x[cells] = others[0]! + x[0]! - others[cells]! + 1));
      },
      /cell 0's quality sum is .*, above /,
    );
    await expectHonestRound(setup, algorithm, 4);
    expect(federatedKMeans.fromModelFile((await latestModel(setup.handle)).file).phase).toBe("done");
  });

  it("cannot publish an MLP round with a negative weight, a delta beyond the clip or a negative calibration slope", async () => {
    const setup = await federation(
      {
        router: {
          kind: "mlp",
          hyperparameters: { hidden: 4, rounds: 1, batchSize: 8, deltaClip: 1, seed: 2 },
        },
        clipping: { min: -64, max: 64 },
      },
      8,
    );
    const mlp = createFederatedMlp(createReferenceTrainer());
    const algorithm = mlp as unknown as Algorithm;
    await expectHonestRound(setup, algorithm, 1);
    // Training, [n, cells (M), deltas weighted by n]: the weight n below zero in total.
    await expectRefused(
      setup,
      algorithm,
      (own, others) => changed(own, (x) => (x[0] = -others[0]! - 1)),
      /the rows trained on is -1, below zero/,
    );
    // Its delta three times as long as the cohort's weight times the clip (1) allows.
    await expectRefused(
      setup,
      algorithm,
      (own, others) =>
        changed(own, (x) => {
          const deltas = x.subarray(3);
          deltas.fill((3 * (others[0]! + x[0]!)) / Math.sqrt(deltas.length));
        }),
      /the weighted delta has norm .*, above /,
    );
    await expectHonestRound(setup, algorithm, 2);
    expect(mlp.fromModelFile((await latestModel(setup.handle)).file).phase).toBe("calibrate");
    // Calibration, [residuals (M), slopes (M), cells (M)]: a slope sum below zero.
    await expectRefused(
      setup,
      algorithm,
      (own, others) => changed(own, (x) => (x[2] = -others[2]! - 1)),
      /small-model's slope sum is .*, below 0/,
    );
    await expectHonestRound(setup, algorithm, 3);
    expect(mlp.fromModelFile((await latestModel(setup.handle)).file).phase).toBe("done");
  });
});
