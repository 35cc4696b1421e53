// When a stage stops waiting for its stragglers: at its deadline, or once a quorum of the answers
// it expects is in, a grace period later (half the time the quorum took, at least 2 s).
import { describe, expect, it } from "vitest";
import { DEFAULT_STAGE_QUORUM, stragglerDeadline } from "../../../../core/secagg/index.ts";

const opened = 1_000_000;
const deadline = opened + 600_000;

describe("stragglerDeadline", () => {
  it("keeps the deadline below the quorum", () => {
    const now = opened + 10_000;
    expect(stragglerDeadline({ answered: 89, expected: 100, openedAt: opened, now, deadline })).toBe(
      deadline,
    );
  });

  it("closes half the quorum's time later once the quorum answered", () => {
    const now = opened + 10_000;
    expect(stragglerDeadline({ answered: 90, expected: 100, openedAt: opened, now, deadline })).toBe(
      now + 5_000,
    );
  });

  it("gives stragglers at least 2 s, and never more than the deadline", () => {
    expect(
      stragglerDeadline({ answered: 9, expected: 10, openedAt: opened, now: opened + 100, deadline }),
    ).toBe(opened + 2_100);
    const late = opened + 590_000;
    expect(stragglerDeadline({ answered: 95, expected: 100, openedAt: opened, now: late, deadline })).toBe(
      deadline,
    );
  });

  it("rounds the quorum up: 9 of 10 at 0.9, all 5 of 5", () => {
    const now = opened + 4_000;
    const at = (answered: number, expected: number) =>
      stragglerDeadline({ answered, expected, openedAt: opened, now, deadline });
    expect(DEFAULT_STAGE_QUORUM).toBe(0.9);
    expect(at(9, 10)).toBe(now + 2_000);
    expect(at(4, 5)).toBe(deadline);
    expect(at(5, 5)).toBe(now + 2_000);
  });

  it("waits for everyone at a quorum of 1", () => {
    const now = opened + 4_000;
    expect(
      stragglerDeadline({ answered: 99, expected: 100, openedAt: opened, now, deadline, quorum: 1 }),
    ).toBe(deadline);
  });
});
