// When a stage stops waiting for its stragglers: at its deadline, or once a quorum of the answers
// it expects is in, a grace period later (three times the missing answers' time at the quorum's
// pace, at least 2 s).
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

  it("waits three times the missing answers' time at the quorum's pace", () => {
    // 90 answers in 30 s since the stage opened: 10 missing take 3.33 s at that pace; 10 s of grace.
    const now = opened + 30_000;
    expect(stragglerDeadline({ answered: 90, expected: 100, openedAt: opened, now, deadline })).toBe(
      now + 10_000,
    );
  });

  it("takes the pace from the first answer, not the stage's opening", () => {
    // The stage opened 60 s ago (clients trained first); its 90 answers came in the last 9 s.
    const now = opened + 60_000;
    const firstAnswerAt = now - 9_000;
    expect(
      stragglerDeadline({ answered: 90, expected: 100, openedAt: opened, firstAnswerAt, now, deadline }),
    ).toBe(now + 3_000);
    // Without the first answer's time (an evicted Round) the grace is longer, never shorter.
    expect(stragglerDeadline({ answered: 90, expected: 100, openedAt: opened, now, deadline })).toBe(
      now + 20_000,
    );
  });

  it("gives fewer missing answers less time", () => {
    const now = opened + 30_000;
    const at = (answered: number) =>
      stragglerDeadline({ answered, expected: 100, openedAt: opened, now, deadline });
    expect(at(99) - now).toBeLessThan(at(90) - now);
    expect(at(99)).toBe(now + 2_000);
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
