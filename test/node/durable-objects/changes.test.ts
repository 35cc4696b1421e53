// Changes: the long polls an object holds wake when it changes, look again, and end at their wait.
import { describe, expect, it } from "vitest";
import { Changes } from "../../../durable-objects/changes.ts";

describe("Changes.until", () => {
  it("answers at once when what it waits for is there, or when it may not wait", async () => {
    const changes = new Changes();
    expect(
      await changes.until(
        () => 1,
        (v) => v === 1,
        10_000,
      ),
    ).toBe(1);
    expect(
      await changes.until(
        () => 0,
        (v) => v === 1,
        0,
      ),
    ).toBe(0);
  });

  it("looks again at each change and answers once ready", async () => {
    const changes = new Changes();
    let value = 0;
    let reads = 0;
    const held = changes.until(
      () => {
        reads++;
        return value;
      },
      (v) => v === 2,
      10_000,
    );
    value = 1;
    changes.notify();
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = 2;
    changes.notify();
    expect(await held).toBe(2);
    expect(reads).toBe(3);
  });

  it("answers what it found when the wait runs out", async () => {
    const changes = new Changes();
    const asked = Date.now();
    expect(
      await changes.until(
        () => "waiting",
        (v) => v !== "waiting",
        50,
      ),
    ).toBe("waiting");
    expect(Date.now() - asked).toBeGreaterThanOrEqual(45);
  });
});
