// Read-only queries on the server state: who dropped out, as the round summary reports it.
import { describe, expect, it } from "vitest";
import {
  dropouts,
  PROTOCOL_STAGES,
  type ProtocolStage,
  type ServerState,
  STAGE,
  type Stage,
} from "../../../../core/secagg/index.ts";
import { testConfig } from "./harness.ts";

/** A state at `stage` where the first `reached[s]` of clients c0, c1, ... took part in stage s. */
function stateAt(stage: Stage, reached: Partial<Record<ProtocolStage, number>>): ServerState {
  const clients: ServerState["clients"] = {};
  for (let i = 0; i < (reached.advertise_keys ?? 0); i++) {
    const received: Partial<Record<ProtocolStage, string>> = {};
    for (const s of PROTOCOL_STAGES) if (i < (reached[s] ?? 0)) received[s] = "digest";
    clients[`c${i}`] = {
      index: i + 1,
      encryptionPublicKey: "",
      maskPublicKey: "",
      signingPublicKey: "",
      selfMaskCommitment: "",
      neighbours: [],
      received,
    };
  }
  return { version: 2, config: testConfig(), stage, graphSeed: 1, clients, revealed: {} };
}

describe("dropouts", () => {
  const COHORT = 8;
  const reached = { advertise_keys: 7, share_keys: 6, masked_input: 5, consistency_check: 5, unmask: 4 };

  it("counts nobody while keys are being advertised", () => {
    expect(dropouts(stateAt(STAGE.ADVERTISE_KEYS, { advertise_keys: 3 }), COHORT)).toBe(0);
  });

  it("counts the cohort members missing from the stage that closed last", () => {
    expect(dropouts(stateAt(STAGE.SHARE_KEYS, reached), COHORT)).toBe(1);
    expect(dropouts(stateAt(STAGE.MASKED_INPUT, reached), COHORT)).toBe(2);
    expect(dropouts(stateAt(STAGE.CONSISTENCY_CHECK, reached), COHORT)).toBe(3);
    expect(dropouts(stateAt(STAGE.UNMASK, reached), COHORT)).toBe(3);
  });

  it("counts, for a finished round, the members whose input is not in the sum", () => {
    expect(dropouts(stateAt(STAGE.DONE, reached), COHORT)).toBe(3);
  });

  it("counts, for an aborted round, the members missing from the furthest stage reached", () => {
    expect(dropouts(stateAt(STAGE.ABORTED, reached), COHORT)).toBe(3);
    expect(dropouts(stateAt(STAGE.ABORTED, { advertise_keys: 7, share_keys: 2 }), COHORT)).toBe(6);
    expect(dropouts(stateAt(STAGE.ABORTED, { advertise_keys: 1 }), COHORT)).toBe(7);
  });

  it("never goes below zero", () => {
    expect(dropouts(stateAt(STAGE.SHARE_KEYS, { advertise_keys: 5 }), 3)).toBe(0);
  });
});
