// Long polls: a client that has nothing to do until a round moves on asks the edge to hold its
// request until something changes (or `waitMs` passes), rather than asking again every second. At
// a thousand clients a round, polling was most of the edge's CPU (docs/load.md).
import * as z from "zod";

/**
 * The longest an edge holds a request. Below the 100 s after which Cloudflare closes an idle
 * connection, and short enough that a client notices a dead edge within a poll.
 */
export const LONG_POLL_MAX_MS = 20_000;

export const longPollQuerySchema = z.object({
  waitMs: z.coerce
    .number()
    .int()
    .min(0)
    .max(LONG_POLL_MAX_MS)
    .optional()
    .meta({
      description: `Hold the answer until it changes, at most this long (0 to ${LONG_POLL_MAX_MS} ms; default 0: answer at once).`,
    }),
});
