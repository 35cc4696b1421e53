// Rounds: owners start them; cohort clients poll their current message and send one message per
// stage of secure aggregation (the masked input as raw little-endian Uint32 bytes).

import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  advertiseKeysSchema,
  consistencySignatureSchema,
  serverMessageSchema,
  shareKeysSchema,
  unmaskResponseSchema,
} from "../../core/secagg/index.ts";
import { federationParamsSchema } from "../../core/wire/federation.ts";
import { roundObjectName, secureRoundId } from "../../core/wire/ids.ts";
import { MAX_MASKED_INPUT_BYTES } from "../../core/wire/limits.ts";
import { longPollQuerySchema } from "../../core/wire/long-poll.ts";
import {
  clientRoundSchema,
  receiptWithNextSchema,
  roundParamsSchema,
  roundSchema,
  shardParamsSchema,
  startRoundSchema,
  waitingMessageSchema,
} from "../../core/wire/rounds.ts";
import type { ClientCredential } from "../../durable-objects/round.ts";
import { member } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { ApiError, unwrap } from "../errors.ts";
import { pageHeaders, pageQuerySchema, pageRequest, pageResponse } from "../pagination.ts";
import {
  bearerSecurity,
  createRouter,
  errorResponses,
  json,
  jsonBody,
  KiB,
  limit,
  MiB,
} from "../route-kit.ts";

export const rounds = createRouter();
const owner = member(["owner"]);
const anyMember = member(["owner", "client"]);
const client = member(["client"]);

/** What a round route answers: the whole round for owners, a client's view for clients. */
const roundView = z.union([roundSchema, clientRoundSchema]);
const roundViewDescription = (what: string) =>
  `${what} (a client's token: inCohort instead of the cohort's ids)`;

function credential(caller: AppEnv["Variables"]["caller"]): ClientCredential {
  if (caller.kind !== "client") throw new ApiError("forbidden", "this needs a client token");
  return { clientId: caller.clientId, secret: caller.secret };
}

rounds.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/rounds",
    tags: ["rounds"],
    summary:
      "Start the next round: samples the cohort (or takes the one given) and reserves the tenant's quota",
    description:
      "The body is optional. With `cohort` (client ids) the owner picks the round's cohort: every id must be an active enrolled client, listed once, and the cohort must have at least the policy's minParticipants and at most its cohortSize members (otherwise 422 invalid_cohort).",
    security: bearerSecurity,
    // A cohort of up to 1000 ids of 20 characters.
    middleware: [limit(32 * KiB), owner] as const,
    request: {
      params: federationParamsSchema,
      body: {
        required: false,
        content: { "application/json": { schema: startRoundSchema } },
      },
    },
    responses: { 201: json(roundSchema, "The round, at advertise_keys"), ...errorResponses },
  }),
  async (c) => {
    const { cohort } = c.req.valid("json");
    const stub = c.env.FEDERATIONS.getByName(c.req.valid("param").federationId);
    return c.json(unwrap(await stub.startRound(c.var.caller, cohort)), 201);
  },
);

rounds.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/rounds",
    tags: ["rounds"],
    summary:
      "Every round with its stage, participants, dropouts and outcome (or a page of them, oldest first)",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: federationParamsSchema, query: pageQuerySchema },
    responses: {
      200: { ...json(z.array(roundView), roundViewDescription("Rounds")), headers: pageHeaders },
      ...errorResponses,
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const stub = c.env.FEDERATIONS.getByName(c.req.valid("param").federationId);
    const page = unwrap(await stub.listRounds(c.var.caller, pageRequest(query)));
    return c.json(
      pageResponse(c, query, page, (r) => r.round),
      200,
    );
  },
);

rounds.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/rounds/current",
    tags: ["rounds"],
    summary: "The round in progress (clients: check whether you are in its cohort)",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: federationParamsSchema },
    responses: { 200: json(roundView, roundViewDescription("The round in progress")), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(
        await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).getRound(
          c.var.caller,
          "current",
        ),
      ),
      200,
    ),
);

rounds.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/rounds/current/abort",
    tags: ["rounds"],
    summary: "Abort the round in progress: nothing is published and its quota reservation is refunded",
    description:
      'The round ends at once with the outcome `{ kind: "aborted", code: "aborted_by_owner", message: "aborted by the owner" }`, which its clients read when they poll, and the federation is free for the next round. 404 `not_found` when no round is in progress; 409 `conflict` when the round has finished its protocol and is publishing its total.',
    security: bearerSecurity,
    middleware: [owner] as const,
    request: { params: federationParamsSchema },
    responses: { 200: json(roundSchema, "The aborted round"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).abortRound(c.var.caller)),
      200,
    ),
);

rounds.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/rounds/{round}",
    tags: ["rounds"],
    summary: "A round (with `waitMs`, held until it has an outcome, at most that long)",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: roundParamsSchema, query: longPollQuerySchema },
    responses: { 200: json(roundView, roundViewDescription("The round")), ...errorResponses },
  }),
  async (c) => {
    const { federationId, round } = c.req.valid("param");
    const { waitMs } = c.req.valid("query");
    const stub = c.env.FEDERATIONS.getByName(federationId);
    return c.json(unwrap(await stub.getRound(c.var.caller, round, waitMs)), 200);
  },
);

const RECEIPT_DESCRIPTION =
  "Accepted (the same receipt for a repeat); with `waitMs`, answered once the client has its next message (`next`), at most that long";

/**
 * How a client addresses the Round it talks to: the round's own routes, or in a sharded round its
 * shard's (`/rounds/{round}/shards/{shard}/...`, the shard `rounds/current` names).
 */
const ADDRESSES = [
  { path: "/federations/{federationId}/rounds/{round}", params: roundParamsSchema, of: "" },
  {
    path: "/federations/{federationId}/rounds/{round}/shards/{shard}",
    params: shardParamsSchema,
    of: " (a shard of a sharded round: the shard `rounds/current` names for this client)",
  },
] as const;

/** The Round object a request addresses: the round's, or its shard's. */
function roundObject(
  env: AppEnv["Bindings"],
  param: { federationId: string; round: number; shard?: number },
) {
  return env.ROUNDS.getByName(roundObjectName(param.federationId, param.round, param.shard));
}

const stageRoutes = [
  {
    path: "advertise-keys",
    schema: advertiseKeysSchema,
    size: 4 * KiB,
    summary: "Stage advertise_keys: the client's public keys and its self-mask commitment",
  },
  {
    path: "share-keys",
    schema: shareKeysSchema,
    size: 2 * MiB,
    summary: "Stage share_keys: one sealed share pair per neighbour",
  },
  {
    path: "consistency-check",
    schema: consistencySignatureSchema,
    size: 4 * KiB,
    summary: "Stage consistency_check: the client's signature of the survivor set",
  },
  {
    path: "unmask",
    schema: unmaskResponseSchema,
    size: 2 * MiB,
    summary: "Stage unmask: shares of surviving and dropped neighbours",
  },
] as const;

for (const address of ADDRESSES) {
  rounds.openapi(
    createRoute({
      method: "get",
      path: `${address.path}/message`,
      tags: ["secure aggregation"],
      summary: `The current stage's message for this client (neighbour keys, forwarded shares, survivor set to sign, unmask request) or waiting${address.of}`,
      security: bearerSecurity,
      middleware: [client] as const,
      request: { params: address.params, query: longPollQuerySchema },
      responses: {
        200: json(
          z.union([serverMessageSchema, waitingMessageSchema]),
          "The message to answer; with `waitMs`, waiting is answered only once that time has passed with no stage ending",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const stub = roundObject(c.env, c.req.valid("param"));
      const { waitMs } = c.req.valid("query");
      return c.json(unwrap(await stub.message(credential(c.var.caller), waitMs)), 200);
    },
  );

  for (const stage of stageRoutes) {
    rounds.openapi(
      createRoute({
        method: "post",
        path: `${address.path}/${stage.path}`,
        tags: ["secure aggregation"],
        summary: `${stage.summary}${address.of}`,
        security: bearerSecurity,
        middleware: [limit(stage.size), client] as const,
        request: { params: address.params, query: longPollQuerySchema, ...jsonBody(stage.schema) },
        responses: {
          200: json(receiptWithNextSchema, RECEIPT_DESCRIPTION),
          ...errorResponses,
        },
      }),
      async (c) => {
        const stub = roundObject(c.env, c.req.valid("param"));
        const { waitMs } = c.req.valid("query");
        return c.json(unwrap(await stub.submit(credential(c.var.caller), c.req.valid("json"), waitMs)), 200);
      },
    );
  }

  rounds.openapi(
    createRoute({
      method: "put",
      path: `${address.path}/masked-input`,
      tags: ["secure aggregation"],
      summary: `Stage masked_input: the masked vector [w, w*x] + masks as little-endian Uint32 bytes${address.of}`,
      security: bearerSecurity,
      // The largest vector a round can aggregate (the round then checks its exact length), refused
      // from its Content-Length before a byte is read: beyond it a vector could not cross RPC.
      middleware: [limit(MAX_MASKED_INPUT_BYTES), client] as const,
      request: {
        params: address.params,
        query: longPollQuerySchema,
        body: {
          required: true,
          content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
        },
      },
      responses: {
        200: json(receiptWithNextSchema, RECEIPT_DESCRIPTION),
        ...errorResponses,
      },
    }),
    async (c) => {
      const param = c.req.valid("param");
      const { waitMs } = c.req.valid("query");
      if (c.req.header("content-type")?.split(";")[0]?.trim() !== "application/octet-stream")
        throw new ApiError("unsupported_media_type", "send the masked vector as application/octet-stream");
      const bytes = await c.req.arrayBuffer();
      if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0)
        throw new ApiError(
          "invalid_vector",
          `a masked vector is a non-empty multiple of 4 bytes, got ${bytes.byteLength}`,
        );
      const caller = credential(c.var.caller);
      const stub = roundObject(c.env, param);
      const message = {
        type: "masked_input",
        stage: "masked_input",
        roundId: secureRoundId(param.federationId, param.round, "shard" in param ? param.shard : undefined),
        clientId: caller.clientId,
        vector: new Uint32Array(bytes),
      } as const;
      return c.json(unwrap(await stub.submit(caller, message, waitMs)), 200);
    },
  );
}
