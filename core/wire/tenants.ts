// Tenants (the paying accounts), their owner tokens and quotas.
import * as z from "zod";
import { ownerTokenIdSchema, tenantIdSchema } from "./tokens.ts";

export const tenantQuotaSchema = z
  .object({
    /** Masked updates the tenant's federations may aggregate per UTC day (reserved when a round starts). */
    updatesPerDay: z.number().int().min(1).max(1e9),
  })
  .meta({ id: "TenantQuota" });

export const createTenantSchema = z
  .object({
    name: z.string().min(1).max(100),
    quota: tenantQuotaSchema.default({ updatesPerDay: 10_000 }),
  })
  .meta({ id: "CreateTenant" });

export type CreateTenant = z.infer<typeof createTenantSchema>;

export const tenantSchema = z
  .object({
    id: tenantIdSchema,
    name: z.string(),
    createdAt: z.string(),
    quota: tenantQuotaSchema,
    updatesToday: z.number().int(),
  })
  .meta({ id: "Tenant" });

export type Tenant = z.infer<typeof tenantSchema>;

export const issuedOwnerTokenSchema = z
  .object({
    tokenId: ownerTokenIdSchema,
    /** Shown once: only its hash is stored. */
    token: z.string(),
  })
  .meta({ id: "IssuedOwnerToken" });

export const createdTenantSchema = z
  .object({ tenant: tenantSchema, ownerToken: issuedOwnerTokenSchema })
  .meta({ id: "CreatedTenant" });

export type CreatedTenant = z.infer<typeof createdTenantSchema>;
export type IssuedOwnerToken = z.infer<typeof issuedOwnerTokenSchema>;

export const tokenParamsSchema = z.object({ tokenId: ownerTokenIdSchema });
