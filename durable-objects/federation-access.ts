// Who may call a Federation method: the owners of its tenant and its enrolled clients, whose
// token secret is checked against the stored hash; each method names the roles it admits.

import { constantTimeEqual, sha256Hex } from "../core/sha256.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { Caller } from "./caller.ts";
import type { MatchedSecrets } from "./credentials.ts";
import type { ClientToken } from "./federation-store.ts";

export type Role = Caller["kind"];

/** What a granted call knows of its caller: the client's id when a client calls. */
export interface Access {
  clientId?: string;
}

/** An unknown client is hashed against this, so timing does not tell which clients exist. */
const NO_HASH = "0".repeat(64);

export async function authorise(
  federation: { tenantId: string } | undefined,
  caller: Caller,
  roles: readonly Role[],
  clientToken: (clientId: string) => ClientToken | undefined,
  matched?: MatchedSecrets,
): Promise<Result<Access>> {
  // A foreign tenant's token sees the same answer as a federation that does not exist.
  if (!federation || (caller.kind === "owner" && caller.tenantId !== federation.tenantId))
    return failure("not_found", "no such federation");
  // A secret that matched before is still good: revoking a client forgets its secret.
  if (caller.kind === "client" && !matched?.matches(caller.clientId, caller.secret)) {
    const presented = await sha256Hex(caller.secret);
    // Read after the hash, with no wait between this read and remembering the secret, so that a
    // revocation cannot come in between and leave a revoked secret remembered.
    const token = clientToken(caller.clientId);
    const matches = constantTimeEqual(presented, token?.tokenHash ?? NO_HASH);
    if (!token || token.revokedAt !== null || !matches)
      return failure("unauthorized", "invalid or revoked client token");
    matched?.remember(caller.clientId, caller.secret);
  }
  if (!roles.includes(caller.kind))
    return failure(
      "forbidden",
      `this needs ${roles.join(" or ")} access; the token is a ${caller.kind} token`,
    );
  return success(caller.kind === "client" ? { clientId: caller.clientId } : {});
}
