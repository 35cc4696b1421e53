// The named stages of a secure-aggregation round (Bonawitz et al. 2017), shared by server and client.

/** Stages in protocol order, then the two terminal stages. */
export const STAGE = {
  ADVERTISE_KEYS: "advertise_keys",
  SHARE_KEYS: "share_keys",
  MASKED_INPUT: "masked_input",
  CONSISTENCY_CHECK: "consistency_check",
  UNMASK: "unmask",
  DONE: "done",
  ABORTED: "aborted",
} as const;

export type Stage = (typeof STAGE)[keyof typeof STAGE];

/** The five stages at which messages are exchanged, in order. */
export const PROTOCOL_STAGES = [
  STAGE.ADVERTISE_KEYS,
  STAGE.SHARE_KEYS,
  STAGE.MASKED_INPUT,
  STAGE.CONSISTENCY_CHECK,
  STAGE.UNMASK,
] as const;

export type ProtocolStage = (typeof PROTOCOL_STAGES)[number];
