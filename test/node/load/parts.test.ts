// The load generator's pure parts: percentiles, a counter's growth over a round, the seeded
// dropout draws, route names and request spans.
import { describe, expect, it } from "vitest";
import { defaultDeadlines } from "../../../load/arguments.ts";
import { routeName, timelineSlot } from "../../../load/client-pool.ts";
import { DROP_POINTS, dropPoint } from "../../../load/dropout.ts";
import { growth, percentile, requestSpan } from "../../../load/stats.ts";

describe("load generator parts", () => {
  it("gives larger cohorts and the MLP longer stage deadlines, those the measured runs used", () => {
    const stage = [100, 150, 151, 300, 500, 501, 1000].map((n) => defaultDeadlines(n, "kmeans").stage);
    expect(stage).toEqual([15, 15, 30, 30, 30, 60, 60]);
    expect(defaultDeadlines(1000, "kmeans")).toEqual({ stage: 60, advertise: 120 });
    expect(defaultDeadlines(100, "mlp")).toEqual({ stage: 60, advertise: 180 });
  });

  it("takes nearest-rank percentiles", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it("splits a sampled counter between times, linearly between samples", () => {
    const samples = [
      { at: 0, value: 0 },
      { at: 1000, value: 10 },
      { at: 2000, value: 30 },
    ];
    expect(growth(samples, 500, 1500)).toBeCloseTo(15);
    expect(growth(samples, -100, 5000)).toBe(30);
  });

  it("draws dropouts from the seed, at the rate asked, over every drop point", () => {
    const draws = Array.from({ length: 20_000 }, (_, i) => dropPoint(5, 0.1, 1 + (i % 40), i));
    expect(draws.filter((d) => d !== undefined).length / draws.length).toBeCloseTo(0.1, 1);
    for (const point of DROP_POINTS) expect(draws).toContain(point);
    expect(Array.from({ length: 50 }, (_, i) => dropPoint(5, 0.1, 2, i))).toEqual(
      Array.from({ length: 50 }, (_, i) => dropPoint(5, 0.1, 2, i)),
    );
    expect(dropPoint(5, 0, 1, 1)).toBeUndefined();
  });

  it("names routes without ids or numbers", () => {
    expect(routeName("get", "http://127.0.0.1:1/v1/federations/fed_ab12/rounds/31/message")).toBe(
      "GET /v1/federations/{id}/rounds/{n}/message",
    );
    expect(routeName("GET", "http://127.0.0.1:1/v1/federations/fed_ab12/models/4")).toBe(
      "GET /v1/federations/{id}/models/{v}",
    );
    expect(routeName("POST", "http://127.0.0.1:1/v1/federations/fed_ab12/rounds/3/shards/2/unmask")).toBe(
      "POST /v1/federations/{id}/rounds/{n}/shards/{s}/unmask",
    );
  });

  it("puts a request in its round's timeline by what it is, shards together", () => {
    const at = (path: string) => timelineSlot(`http://127.0.0.1:1/v1/federations/fed_ab12${path}`);
    expect(at("/rounds/3/shards/2/share-keys")).toEqual({ key: "3", name: "share-keys" });
    expect(at("/rounds/3/message")).toEqual({ key: "3", name: "message" });
    expect(at("/rounds/3")).toEqual({ key: "3", name: "round" });
    expect(at("/models/4")).toEqual({ key: "v4", name: "models" });
    expect(at("/rounds/current")).toBeUndefined();
    expect(at("/check-in")).toBeUndefined();
  });

  it("spans a round's requests from when they were sent to when they were answered", () => {
    // Three requests (sent, answered) in ms since the epoch; the round opened at 10 s.
    const span = requestSpan([11_000, 12_000, 13_000, 20_000, 12_000, 14_500], 10_000);
    expect(span).toEqual({ count: 3, sent: [1, 2, 3], answered: [2, 4.5, 10] });
  });
});
