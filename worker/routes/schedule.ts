// A federation that trains itself: clients check in to say they are available, and the owner
// pauses and resumes a continuous schedule (aborting the round in progress is the rounds' route).
import { createRoute } from "@hono/zod-openapi";
import { federationParamsSchema, federationSchema } from "../../core/wire/federation.ts";
import { checkInReceiptSchema, checkInSchema, checkInWaitSchema } from "../../core/wire/schedule.ts";
import { member } from "../auth.ts";
import { unwrap } from "../errors.ts";
import { bearerSecurity, createRouter, errorResponses, json, jsonBody, KiB, limit } from "../route-kit.ts";

export const schedule = createRouter();

schedule.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/check-in",
    tags: ["schedule"],
    summary:
      "A client announces it is available for rounds until its check-in expires; of its data it reveals only a coarse bucket of its evaluation count. With `waitMs`, the answer is held until a round after `afterRound` invites the client, at most that long",
    security: bearerSecurity,
    middleware: [limit(1 * KiB), member(["client"])] as const,
    request: { params: federationParamsSchema, query: checkInWaitSchema, ...jsonBody(checkInSchema) },
    responses: {
      200: json(checkInReceiptSchema, "Until when the client counts as available"),
      ...errorResponses,
    },
  }),
  async (c) =>
    c.json(
      unwrap(
        await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).checkIn(
          c.var.caller,
          c.req.valid("json"),
          c.req.valid("query"),
        ),
      ),
      200,
    ),
);

for (const action of ["pause", "resume"] as const)
  schedule.openapi(
    createRoute({
      method: "post",
      path: `/federations/{federationId}/${action}`,
      tags: ["schedule"],
      summary:
        action === "pause"
          ? "Pause a continuous schedule: no round opens until it resumes (the round in progress runs on; abort it with its own route)"
          : "Resume a paused continuous schedule",
      security: bearerSecurity,
      middleware: [owner()] as const,
      request: { params: federationParamsSchema },
      responses: {
        200: json(federationSchema, "The federation, with its schedule's state"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const federation = c.env.FEDERATIONS.getByName(c.req.valid("param").federationId);
      const result =
        action === "pause" ? await federation.pause(c.var.caller) : await federation.resume(c.var.caller);
      return c.json(unwrap(result), 200);
    },
  );

function owner() {
  return member(["owner"]);
}
