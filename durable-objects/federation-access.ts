// Who may call a Federation method: the owners of its tenant and its enrolled clients, whose
// token secret is checked against the stored hash; each method names the roles it admits.
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { Caller } from "./caller.ts";
import type { MatchedSecrets } from "./credentials.ts";
import type { ClientToken } from "./federation-store.ts";

export type Role = Caller["kind"];

/** What a granted call knows of its caller: the client's id when a client calls. */
export interface Access {
  clientId?: string;
}

export async function authorise(
  federation: { tenantId: string } | undefined,
  caller: Caller,
  roles: readonly Role[],
  clientToken: (clientId: string) => ClientToken | undefined,
  matched: MatchedSecrets,
): Promise<Result<Access>> {
  // A foreign tenant's token sees the same answer as a federation that does not exist.
  if (!federation || (caller.kind === "owner" && caller.tenantId !== federation.tenantId))
    return failure("not_found", "no such federation");
  if (caller.kind === "client") {
    const token = () => {
      const row = clientToken(caller.clientId);
      return row && { tokenHash: row.tokenHash, active: row.revokedAt === null };
    };
    if (!(await matched.verify(caller.clientId, caller.secret, token)))
      return failure("unauthorized", "invalid or revoked client token");
  }
  if (!roles.includes(caller.kind))
    return failure(
      "forbidden",
      `this needs ${roles.join(" or ")} access; the token is a ${caller.kind} token`,
    );
  return success(caller.kind === "client" ? { clientId: caller.clientId } : {});
}
