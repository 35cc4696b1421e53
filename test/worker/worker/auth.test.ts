// Ids the edge did not mint never reach a Durable Object: the worker checks their tag first and
// answers as for an unknown id, so a made-up id cannot create (or wake) an object.
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createFederation, createTenant } from "../support/api.ts";

/** The id with its last hex digit changed: well-formed, but not one the edge minted. */
function forged(id: string): string {
  const last = id.at(-1)!;
  return `${id.slice(0, -1)}${last === "0" ? "1" : "0"}`;
}

/** Whether the namespace has an object of that name. */
async function exists<T extends Rpc.DurableObjectBranded>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): Promise<boolean> {
  const id = namespace.idFromName(name);
  return (await listDurableObjectIds(namespace)).some((known) => known.equals(id));
}

describe("ids the edge did not mint", () => {
  it("answers a federation id with a wrong tag 404 without creating its object", async () => {
    const f = await createFederation(await createTenant(), 1);
    const fake = forged(f.federationId);
    const asOwner = await call("GET", `/v1/federations/${fake}`, { token: f.ownerToken });
    expect(asOwner.status).toBe(404);
    expect(asOwner.body.error.code).toBe("not_found");
    const token = f.clients[0]!.token.replace(f.federationId, fake);
    const asClient = await call("GET", `/v1/federations/${fake}/models/latest`, { token });
    expect(asClient.status).toBe(404);
    expect(asClient.body.error.code).toBe("not_found");
    const round = await call("GET", `/v1/federations/${fake}/rounds/1/message`, { token });
    expect(round.status).toBe(404);
    expect(await exists(env.FEDERATIONS, fake)).toBe(false);
    expect(await exists(env.ROUNDS, `${fake}/round/1`)).toBe(false);
    expect(await exists(env.FEDERATIONS, f.federationId)).toBe(true);
  });

  it("answers an owner token of a tenant id with a wrong tag 401 without creating its object", async () => {
    const t = await createTenant();
    const fake = forged(t.tenantId);
    const reply = await call("GET", "/v1/tenant", { token: t.ownerToken.replace(t.tenantId, fake) });
    expect(reply.status).toBe(401);
    expect(reply.body.error.code).toBe("unauthorized");
    expect(await exists(env.TENANTS, fake)).toBe(false);
    expect(await exists(env.TENANTS, t.tenantId)).toBe(true);
  });
});
