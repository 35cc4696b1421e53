// What the dashboard page reads: one tenant's federations with rounds, versions, evaluations and usage.
import * as z from "zod";
import { federationSchema } from "./federation.ts";
import { modelVersionSchema, versionEvaluationSchema } from "./models.ts";
import { roundSchema } from "./rounds.ts";
import { tenantSchema } from "./tenants.ts";

export const federationOverviewSchema = z
  .object({
    federation: federationSchema,
    rounds: z.array(roundSchema),
    versions: z.array(modelVersionSchema),
    evaluations: z.array(versionEvaluationSchema),
  })
  .meta({ id: "FederationOverview" });

export type FederationOverview = z.infer<typeof federationOverviewSchema>;

export const dashboardSchema = z
  .object({ tenant: tenantSchema, federations: z.array(federationOverviewSchema) })
  .meta({ id: "Dashboard" });

export type Dashboard = z.infer<typeof dashboardSchema>;
