// Bearer-token middleware: the operator token (a secret binding), tenant owner tokens (checked by the
// tenant's Durable Object) and client tokens (checked by whichever object holds the client's hash),
// each rate-limited per token.
import type { MiddlewareHandler } from "hono";
import { constantTimeEqual, sha256Hex } from "../core/sha256.ts";
import { isMintedId } from "../core/wire/ids.ts";
import { FEDERATION_ID, type ParsedToken, parseToken } from "../core/wire/tokens.ts";
import type { AppEnv } from "./env.ts";
import { ApiError, unwrap } from "./errors.ts";
import { limitRate } from "./rate-limit.ts";

function bearer(header: string | undefined): string {
  const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? "");
  if (!match) throw new ApiError("unauthorized", "send a token as Authorization: Bearer <token>");
  return match[1]!;
}

/** Only the operator (creates tenants). */
export const operatorOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  await limitRate(c, token);
  const expected = c.env.OPERATOR_TOKEN;
  // Compare hashes so the comparison's length and time do not depend on the secret.
  if (!expected || !constantTimeEqual(await sha256Hex(token), await sha256Hex(expected)))
    throw new ApiError("unauthorized", "invalid operator token");
  await next();
};

/**
 * Refuses ids the edge did not mint before any Durable Object is named by them, with the answer an
 * unknown id gets: an owner token of an unknown tenant is 401, an unknown federation 404.
 */
async function checkMintedIds(token: ParsedToken, pathFederationId: string | undefined, key: string) {
  if (token.kind === "owner" && !(await isMintedId(token.tenantId, key)))
    throw new ApiError("unauthorized", "invalid or revoked owner token");
  if (token.kind === "client" && !(await isMintedId(token.federationId, key)))
    throw new ApiError("not_found", "no such federation");
  // A malformed path id is left to the route's validation (400); a well-formed one must be minted.
  if (
    pathFederationId !== undefined &&
    FEDERATION_ID.test(pathFederationId) &&
    !(await isMintedId(pathFederationId, key))
  )
    throw new ApiError("not_found", "no such federation");
}

/**
 * A tenant owner or an enrolled client. Owner tokens are verified here with the tenant's object;
 * client tokens travel (with their secret) to the object that verifies them, but must name the
 * federation in the path, so a foreign federation's token is refused before any object is asked.
 * Ids are checked for the edge's tag first, so a made-up id never creates an object.
 */
export function member(roles: readonly ("owner" | "client")[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = bearer(c.req.header("authorization"));
    const token = parseToken(presented);
    if (!token) throw new ApiError("unauthorized", "not a fedrouter owner or client token");
    if (!roles.includes(token.kind))
      throw new ApiError(
        "forbidden",
        `this needs ${roles.join(" or ")} access; the token is a ${token.kind} token`,
      );
    await checkMintedIds(token, c.req.param("federationId"), c.env.ID_KEY);
    // Counted before any object checks the secret: guessing secrets is limited too.
    await limitRate(c, presented);
    if (token.kind === "owner") {
      const tenant = c.env.TENANTS.getByName(token.tenantId);
      const { tenantId } = unwrap(await tenant.authenticateOwner(token.tokenId, token.secret));
      c.set("caller", { kind: "owner", tenantId });
      c.set("clientToken", undefined);
    } else {
      const federationId = c.req.param("federationId");
      if (federationId !== undefined && federationId !== token.federationId)
        throw new ApiError("not_found", "no such federation");
      c.set("caller", { kind: "client", clientId: token.clientId, secret: token.secret });
      c.set("clientToken", token);
    }
    await next();
  };
}

/** The tenant id of an owner caller (routes mounted behind member(["owner"])). */
export function ownerTenant(caller: AppEnv["Variables"]["caller"]): string {
  if (caller.kind !== "owner") throw new ApiError("forbidden", "this needs an owner token");
  return caller.tenantId;
}
