import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { seededRandom } from "../../../core/random.ts";
import {
  dirichletPartition,
  PROTOCOL_DEFAULTS,
  splitClients,
  taskMixturePartition,
} from "../../../experiments/protocol.ts";

describe("the Dirichlet partition over task labels", () => {
  // 200 tasks of 400 queries each: enough draws to pin the share statistics.
  const tasks = Array.from({ length: 200 * 400 }, (_, i) => `t${Math.floor(i / 400)}`);

  it("assigns every query to exactly one client", () => {
    const owned = dirichletPartition(tasks, 10, 0.6, seededRandom(11));
    const all = owned.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: tasks.length }, (_, i) => i));
  });

  it("gives client shares of each task with the Dirichlet's mean and variance", () => {
    const clients = 10;
    const alpha = 0.6;
    const owned = dirichletPartition(tasks, clients, alpha, seededRandom(11));
    const shares: number[] = [];
    for (let t = 0; t < 200; t++) {
      for (const rows of owned) shares.push(rows.filter((r) => Math.floor(r / 400) === t).length / 400);
    }
    const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
    const variance = shares.reduce((a, b) => a + (b - mean) ** 2, 0) / shares.length;
    // Dirichlet(alpha) over K: E = 1/K, Var = (1/K)(1 - 1/K) / (K alpha + 1) = 0.09 / 7.
    expect(mean).toBeCloseTo(0.1, 6);
    expect(variance).toBeGreaterThan((0.09 / 7) * 0.85);
    expect(variance).toBeLessThan((0.09 / 7) * 1.15);
  });

  it("concentrates tasks on fewer clients as alpha falls", () => {
    const maxShare = (alpha: number) => {
      const owned = dirichletPartition(tasks.slice(0, 40 * 400), 10, alpha, seededRandom(3));
      let total = 0;
      for (let t = 0; t < 40; t++) {
        total += Math.max(...owned.map((rows) => rows.filter((r) => Math.floor(r / 400) === t).length)) / 400;
      }
      return total / 40;
    };
    expect(maxShare(0.05)).toBeGreaterThan(0.75);
    expect(maxShare(100)).toBeLessThan(0.2);
  });
});

describe("the per-client task mixture partition (the default)", () => {
  // 5 tasks of 2,000 queries each, 10 clients of 1,000 queries.
  const tasks = Array.from({ length: 10_000 }, (_, i) => `t${i % 5}`);

  it("gives every client an equal share and every query to one client", () => {
    const owned = taskMixturePartition(tasks, 10, 0.6, seededRandom(4));
    expect(owned.map((rows) => rows.length)).toEqual(Array(10).fill(1000));
    expect(owned.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
  });

  it("concentrates each client on fewer tasks as alpha falls, even with fewer tasks than clients", () => {
    const topShare = (alpha: number) => {
      const owned = taskMixturePartition(tasks, 10, alpha, seededRandom(8));
      return (
        owned.reduce((sum, rows) => {
          const counts = new Map<string, number>();
          for (const r of rows) counts.set(tasks[r]!, (counts.get(tasks[r]!) ?? 0) + 1);
          return sum + Math.max(...counts.values()) / rows.length;
        }, 0) / owned.length
      );
    };
    // Dirichlet(0.03) over 5 tasks puts nearly all of a client's mass on one task, but clients
    // that want the same task share its supply; Dirichlet(100) spreads it evenly (1/5 each).
    const concentrated = topShare(0.03);
    expect(concentrated).toBeGreaterThan(0.6);
    expect(concentrated).toBeGreaterThan(topShare(0.6));
    expect(topShare(100)).toBeLessThan(0.3);
  });
});

describe("the paper's client splits", () => {
  const benchmark = syntheticBenchmark({ seed: 5, queries: 12_000, models: 5 });

  it("are reproducible for a fixed seed", () => {
    const a = splitClients(benchmark, PROTOCOL_DEFAULTS, seededRandom(9));
    const b = splitClients(benchmark, PROTOCOL_DEFAULTS, seededRandom(9));
    expect(a.map((s) => s.trainRows)).toEqual(b.map((s) => s.trainRows));
    expect(a.map((s) => Array.from(s.judgedModel))).toEqual(b.map((s) => Array.from(s.judgedModel)));
  });

  it("split each client 75/25 and keep one judged model per training query, drawn from its preference", () => {
    const splits = splitClients(benchmark, PROTOCOL_DEFAULTS, seededRandom(9));
    expect(splits).toHaveLength(10);
    let rows = 0;
    for (const s of splits) {
      const n = s.trainRows.length + s.testRows.length;
      rows += n;
      expect(Math.abs(s.trainRows.length - 0.75 * n)).toBeLessThanOrEqual(1);
      expect(s.judgedModel.length).toBe(s.trainRows.length);
      expect(s.preference.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
    expect(rows).toBe(12_000);
    const largest = splits.reduce((a, b) => (a.trainRows.length > b.trainRows.length ? a : b));
    const frequency = new Float64Array(5);
    for (const j of largest.judgedModel) frequency[j]! += 1 / largest.judgedModel.length;
    for (let j = 0; j < 5; j++) expect(Math.abs(frequency[j]! - largest.preference[j]!)).toBeLessThan(0.08);
  });

  it("refuses a client count that cannot give each client enough queries", () => {
    expect(() =>
      splitClients(
        syntheticBenchmark({ queries: 50 }),
        { ...PROTOCOL_DEFAULTS, clients: 20 },
        seededRandom(1),
      ),
    ).toThrow(/could not give each of 20 clients/);
  });
});
