// The round around the protocol: the platform's minimum of survivors at every stage, the federation's
// quorum when masked_input closes, and finishing.
import { describe, expect, it } from "vitest";
import {
  abortByOwner,
  closeRoundStage,
  currentMessageFor,
  FINISH,
  isFinishing,
  type Mailbox,
  memoryMailbox,
  openProgress,
  PROTOCOL_STAGES,
  type ProtocolStage,
  type RoundProgress,
  reportStarted,
  type ServerState,
  STAGE,
  type Stage,
  stageClosed,
  totalReported,
  totalUnmasked,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

/**
 * A server state at `stage` for clients c0..c(n-1) on the complete graph, where the first
 * `reached[s]` clients took part in stage s. Closing advertise_keys, share_keys and masked_input
 * reads only who took part, so placeholder digests are enough.
 */
function stateAt(stage: Stage, reached: Partial<Record<ProtocolStage, number>>, threshold = 2): ServerState {
  const n = reached.advertise_keys ?? 0;
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  const clients: ServerState["clients"] = {};
  ids.forEach((id, i) => {
    const received: Partial<Record<ProtocolStage, string>> = {};
    for (const s of PROTOCOL_STAGES) if (i < (reached[s] ?? 0)) received[s] = `digest-${s}-${id}`;
    clients[id] = {
      index: i + 1,
      encryptionPublicKey: `e${i}`,
      maskPublicKey: `m${i}`,
      signingPublicKey: `s${i}`,
      selfMaskCommitment: `b${i}`,
      neighbours: ids.filter((other) => other !== id),
      received,
    };
  });
  return {
    version: 2,
    config: testConfig({ maxClients: Math.max(n, 2), threshold }),
    stage,
    graphSeed: 1,
    clients,
    revealed: {},
  };
}

/** A mailbox holding one sealed share, as a round between share_keys and masked_input has. */
function mailboxWithShare(): Mailbox {
  const mailbox = memoryMailbox();
  mailbox.put("c0", "c1", "sealed");
  return mailbox;
}

const afterMaskedInput = (masked: number) =>
  stateAt(STAGE.MASKED_INPUT, { advertise_keys: 5, share_keys: 5, masked_input: masked });

describe("closing a stage under the federation's quorum", () => {
  it("aborts with too_few_survivors when masked_input closes with fewer inputs than minParticipants", async () => {
    const state = afterMaskedInput(3);
    const mailbox = mailboxWithShare();
    const closed = await closeRoundStage(
      state,
      { minParticipants: 4, cohortSize: 5, minSurvivors: 3 },
      mailbox,
    );
    if (!closed.ok) throw new Error(closed.message);
    expect(state.stage).toBe(STAGE.ABORTED);
    expect(state.abort).toEqual({
      code: "too_few_survivors",
      message: "only 3 masked inputs arrived; the federation needs 4",
    });
    // Nothing sealed or revealed outlives an abort.
    expect(mailbox.inbox("c0")).toEqual({});
    expect(state.revealed).toEqual({});
    // Every client that advertised keys is told why.
    expect(closed.outgoing.map((m) => [m.type, m.clientId])).toEqual(
      ["c0", "c1", "c2", "c3", "c4"].map((id) => ["round_aborted", id]),
    );
  });

  it("goes on to the consistency check, asking only the survivors to sign, when the quorum is met", async () => {
    const state = afterMaskedInput(3);
    const closed = await closeRoundStage(
      state,
      { minParticipants: 3, cohortSize: 5, minSurvivors: 3 },
      mailboxWithShare(),
    );
    if (!closed.ok) throw new Error(closed.message);
    expect(state.stage).toBe(STAGE.CONSISTENCY_CHECK);
    expect(state.abort).toBeUndefined();
    expect(closed.outgoing.map((m) => [m.type, m.clientId])).toEqual([
      ["consistency_request", "c0"],
      ["consistency_request", "c1"],
      ["consistency_request", "c2"],
    ]);
  });

  it("lowers the quorum to the cohort's size", async () => {
    const state = stateAt(STAGE.MASKED_INPUT, { advertise_keys: 3, share_keys: 3, masked_input: 3 });
    const closed = await closeRoundStage(
      state,
      { minParticipants: 10, cohortSize: 3, minSurvivors: 3 },
      mailboxWithShare(),
    );
    expect(closed.ok).toBe(true);
    expect(state.stage).toBe(STAGE.CONSISTENCY_CHECK);
  });

  it("keeps the protocol's own abort (fewer than t) and its reason", async () => {
    const state = stateAt(STAGE.MASKED_INPUT, { advertise_keys: 5, share_keys: 5, masked_input: 2 }, 3);
    const closed = await closeRoundStage(
      state,
      { minParticipants: 1, cohortSize: 5, minSurvivors: 3 },
      mailboxWithShare(),
    );
    expect(closed.ok).toBe(true);
    expect(state.stage).toBe(STAGE.ABORTED);
    expect(state.abort?.message).toBe("only 2 clients sent masked inputs; threshold t = 3");
  });

  it("holds only masked_input to the quorum", async () => {
    const state = stateAt(STAGE.SHARE_KEYS, { advertise_keys: 5, share_keys: 3 });
    const closed = await closeRoundStage(
      state,
      { minParticipants: 5, cohortSize: 5, minSurvivors: 3 },
      mailboxWithShare(),
    );
    expect(closed.ok).toBe(true);
    expect(state.stage).toBe(STAGE.MASKED_INPUT);
    // The inputs in the sum were counted when masked_input closed; fewer signers do not recount them.
    const signing = stateAt(STAGE.CONSISTENCY_CHECK, {
      advertise_keys: 5,
      share_keys: 5,
      masked_input: 5,
      consistency_check: 4,
    });
    expect(
      (
        await closeRoundStage(
          signing,
          { minParticipants: 5, cohortSize: 5, minSurvivors: 3 },
          mailboxWithShare(),
        )
      ).ok,
    ).toBe(true);
    expect(signing.stage).toBe(STAGE.UNMASK);
  });

  it("aborts as soon as fewer clients remain than the platform's minimum of survivors, at any stage", async () => {
    const quorum = { minParticipants: 1, cohortSize: 5, minSurvivors: 5 };
    const advertised = stateAt(STAGE.ADVERTISE_KEYS, { advertise_keys: 4 });
    expect((await closeRoundStage(advertised, quorum, mailboxWithShare())).ok).toBe(true);
    expect(advertised.abort).toEqual({
      code: "too_few_survivors",
      message: "only 4 clients advertised keys; the platform's minimum is 5 survivors",
    });
    const shared = stateAt(STAGE.SHARE_KEYS, { advertise_keys: 5, share_keys: 4 });
    expect((await closeRoundStage(shared, quorum, mailboxWithShare())).ok).toBe(true);
    expect(shared.abort?.message).toBe("only 4 clients shared keys; the platform's minimum is 5 survivors");
    const masked = afterMaskedInput(4);
    const closed = await closeRoundStage(masked, quorum, mailboxWithShare());
    expect(masked.abort?.message).toBe(
      "only 4 clients sent masked inputs; the platform's minimum is 5 survivors",
    );
    // No unmask request goes out: every client is told the round aborted.
    expect(closed.ok && closed.outgoing.every((m) => m.type === "round_aborted")).toBe(true);
  });

  it("keeps the platform's minimum of survivors when the cohort lowers the federation's quorum", async () => {
    const state = stateAt(STAGE.MASKED_INPUT, { advertise_keys: 3, share_keys: 3, masked_input: 3 });
    await closeRoundStage(state, { minParticipants: 10, cohortSize: 3, minSurvivors: 5 }, mailboxWithShare());
    expect(state.stage).toBe(STAGE.ABORTED);
    expect(state.abort?.message).toBe(
      "only 3 clients sent masked inputs; the platform's minimum is 5 survivors",
    );
  });

  it("goes on when exactly the platform's minimum of survivors remains", async () => {
    const state = afterMaskedInput(5);
    await closeRoundStage(state, { minParticipants: 5, cohortSize: 5, minSurvivors: 5 }, mailboxWithShare());
    expect(state.stage).toBe(STAGE.CONSISTENCY_CHECK);
  });

  it("refuses to close a finished round", async () => {
    const state = stateAt(STAGE.DONE, { advertise_keys: 3 });
    const closed = await closeRoundStage(
      state,
      { minParticipants: 1, cohortSize: 3, minSurvivors: 3 },
      mailboxWithShare(),
    );
    expect(closed).toMatchObject({ ok: false, code: "wrong_stage" });
    expect(state.stage).toBe(STAGE.DONE);
  });
});

describe("finishing a round", () => {
  const NOW = "2025-01-02T03:04:05.000Z";
  /** Progress with a field the caller stores beside it, which every transition must keep. */
  const stored = (progress: RoundProgress = openProgress()) => ({ ...progress, bytes: 42 });

  it("opens in the protocol, not ended and without an outcome", () => {
    expect(openProgress()).toEqual({ finish: FINISH.PROTOCOL, endedAt: null, outcome: null });
    expect(isFinishing(openProgress())).toBe(false);
  });

  it("stays in the protocol while the stage that closed is not the last", () => {
    const progress = stored();
    expect(stageClosed(progress, stateAt(STAGE.SHARE_KEYS, { advertise_keys: 3 }), NOW)).toBe(progress);
  });

  it("goes on to unmasking when the protocol is done", () => {
    const next = stageClosed(stored(), stateAt(STAGE.DONE, { advertise_keys: 3 }), NOW);
    expect(next).toEqual({ finish: FINISH.UNMASKING, endedAt: null, outcome: null, bytes: 42 });
    expect(isFinishing(next)).toBe(true);
  });

  it("ends an aborted round at once, with the protocol's reason as the outcome", () => {
    const state = stateAt(STAGE.ABORTED, { advertise_keys: 3 });
    state.abort = { code: "too_few_survivors", message: "only 1 clients shared keys; threshold t = 2" };
    const next = stageClosed(stored(), state, NOW);
    expect(next).toEqual({
      finish: FINISH.FINISHED,
      endedAt: NOW,
      outcome: {
        kind: "aborted",
        code: "too_few_survivors",
        message: "only 1 clients shared keys; threshold t = 2",
      },
      bytes: 42,
    });
    expect(isFinishing(next)).toBe(false);
  });

  it("reports once the total is unmasked, ending the round at the first report", () => {
    const unmasked = totalUnmasked(stored({ finish: FINISH.UNMASKING, endedAt: null, outcome: null }));
    expect(unmasked).toEqual({ finish: FINISH.REPORTING, endedAt: null, outcome: null, bytes: 42 });
    expect(isFinishing(unmasked)).toBe(true);
    const started = reportStarted(unmasked, NOW);
    expect(started.endedAt).toBe(NOW);
    // A retry after a failed report keeps the first end time.
    expect(reportStarted(started, "2030-01-01T00:00:00.000Z").endedAt).toBe(NOW);
  });

  it("finishes as published when the federation takes the total", () => {
    const reporting = stored({ finish: FINISH.REPORTING, endedAt: NOW, outcome: null });
    expect(totalReported(reporting, { ok: true, value: { version: 7 } })).toEqual({
      finish: FINISH.FINISHED,
      endedAt: NOW,
      outcome: { kind: "published", version: 7 },
      bytes: 42,
    });
  });

  it("finishes as aborted, with the federation's reason, when it refuses the total", () => {
    const reporting = stored({ finish: FINISH.REPORTING, endedAt: NOW, outcome: null });
    const next = totalReported(reporting, { ok: false, code: "conflict", message: "a newer model exists" });
    expect(next.finish).toBe(FINISH.FINISHED);
    expect(next.outcome).toEqual({ kind: "aborted", code: "conflict", message: "a newer model exists" });
    expect(isFinishing(next)).toBe(false);
  });
});

describe("the owner stopping a round", () => {
  const NOW = "2025-01-02T03:04:05.000Z";

  it("aborts a round in the protocol with the owner's reason, which clients then read", () => {
    const state = stateAt(STAGE.SHARE_KEYS, { advertise_keys: 3, share_keys: 1 });
    expect(abortByOwner(openProgress(), state)).toBe(true);
    expect(state.stage).toBe(STAGE.ABORTED);
    const next = stageClosed({ ...openProgress(), bytes: 42 }, state, NOW);
    expect(next).toEqual({
      finish: FINISH.FINISHED,
      endedAt: NOW,
      outcome: { kind: "aborted", code: "aborted_by_owner", message: "aborted by the owner" },
      bytes: 42,
    });
    expect(currentMessageFor(state, "c1", memoryMailbox())).toMatchObject({
      type: "round_aborted",
      code: "aborted_by_owner",
      message: "aborted by the owner",
    });
  });

  it("leaves a round whose protocol is done to finish, since its total may already be published", () => {
    for (const finish of [FINISH.UNMASKING, FINISH.REPORTING, FINISH.FINISHED]) {
      const state = stateAt(STAGE.DONE, { advertise_keys: 3 });
      const before = structuredClone(state);
      expect(abortByOwner({ finish, endedAt: null, outcome: null }, state)).toBe(false);
      expect(state).toEqual(before);
    }
  });
});
