// Identifiers and bearer-token formats. A token names the Durable Object that can check it (the
// tenant for owner tokens, the federation for client tokens) followed by a random secret:
//   owner:  fro.<tenantId>.<tokenId>.<secret>      client: frc.<federationId>.<clientId>.<secret>
// Secrets are 32 random bytes in base64url; only their SHA-256 hashes are ever stored.
import * as z from "zod";

const hex = (prefix: string, bytes: number) => new RegExp(`^${prefix}_[0-9a-f]{${bytes * 2}}$`);

// Tenant and federation ids are minted by the edge: 8 random bytes and an 8-byte tag (ids.ts).
export const TENANT_ID = hex("ten", 16);
export const FEDERATION_ID = hex("fed", 16);
export const CLIENT_ID = hex("cli", 8);
export const OWNER_TOKEN_ID = hex("tok", 6);
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export const tenantIdSchema = z.string().regex(TENANT_ID, "expected a tenant id (ten_ + 32 hex)");
export const federationIdSchema = z.string().regex(FEDERATION_ID, "expected a federation id (fed_ + 32 hex)");
export const clientIdSchema = z.string().regex(CLIENT_ID, "expected a client id (cli_ + 16 hex)");
export const ownerTokenIdSchema = z.string().regex(OWNER_TOKEN_ID, "expected a token id (tok_ + 12 hex)");

export type OwnerToken = { kind: "owner"; tenantId: string; tokenId: string; secret: string };
export type ClientToken = { kind: "client"; federationId: string; clientId: string; secret: string };
export type ParsedToken = OwnerToken | ClientToken;

/** Reads a bearer token's routing parts; undefined for anything that is not an owner or client token. */
export function parseToken(token: string): ParsedToken | undefined {
  const parts = token.split(".");
  if (parts.length !== 4) return undefined;
  const [kind, id, sub, secret] = parts as [string, string, string, string];
  if (!SECRET.test(secret)) return undefined;
  if (kind === "fro" && TENANT_ID.test(id) && OWNER_TOKEN_ID.test(sub))
    return { kind: "owner", tenantId: id, tokenId: sub, secret };
  if (kind === "frc" && FEDERATION_ID.test(id) && CLIENT_ID.test(sub))
    return { kind: "client", federationId: id, clientId: sub, secret };
  return undefined;
}

export function formatOwnerToken(tenantId: string, tokenId: string, secret: string): string {
  return `fro.${tenantId}.${tokenId}.${secret}`;
}

export function formatClientToken(federationId: string, clientId: string, secret: string): string {
  return `frc.${federationId}.${clientId}.${secret}`;
}
