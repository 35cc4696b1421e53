// What one federation may put through the platform the edge runs on: KV stores at most 25 MiB per
// value, and one Workers RPC carries at most 32 MiB. The edge refuses routers beyond these when a
// federation is created or grows, and masked inputs beyond them before reading their bytes.

const MiB = 1024 * 1024;

/** A model version is one KV value. */
export const MAX_MODEL_FILE_BYTES = 25 * MiB;

/**
 * Elements of the longest contribution: a round's decoded total (8 bytes an element) crosses one
 * RPC from the Round to the Federation, with 1 MiB of the 32 left for the round's summary.
 */
export const MAX_CONTRIBUTION_LENGTH = Math.floor((31 * MiB) / 8);

/** The largest masked input: [w, w*x] as little-endian Uint32 words, one longer than a contribution. */
export const MAX_MASKED_INPUT_BYTES = (MAX_CONTRIBUTION_LENGTH + 1) * 4;
