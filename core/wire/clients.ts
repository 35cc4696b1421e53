// Client enrolment: each enrolled client gets its own token, shown once and revocable.
import * as z from "zod";
import { clientIdSchema, federationIdSchema } from "./tokens.ts";

export const enrolClientSchema = z
  .object({ label: z.string().min(1).max(100).optional() })
  .meta({ id: "EnrolClient" });

export type EnrolClient = z.infer<typeof enrolClientSchema>;

export const enrolledClientSchema = z
  .object({
    id: clientIdSchema,
    label: z.string().nullable(),
    enrolledAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: "EnrolledClient" });

export type EnrolledClient = z.infer<typeof enrolledClientSchema>;

export const clientEnrolmentSchema = z
  .object({
    client: enrolledClientSchema,
    /** Shown once: only its hash is stored. */
    token: z.string(),
    /**
     * The edge's Ed25519 public key (32 bytes, base64url) that signs every model version: give it
     * to the SDK with the token (createClient's modelPublicKey) so it refuses unsigned models.
     */
    modelPublicKey: z.string(),
  })
  .meta({ id: "ClientEnrolment" });

export type ClientEnrolment = z.infer<typeof clientEnrolmentSchema>;

/** Most clients one batch enrols (a thousand-client federation enrols in one request). */
export const MAX_ENROL_BATCH = 1000;

export const enrolClientsSchema = z
  .object({ clients: z.array(enrolClientSchema).min(1).max(MAX_ENROL_BATCH) })
  .meta({ id: "EnrolClients" });

export const clientEnrolmentsSchema = z
  .object({ enrolments: z.array(clientEnrolmentSchema) })
  .meta({ id: "ClientEnrolments" });

export const clientParamsSchema = z.object({ federationId: federationIdSchema, clientId: clientIdSchema });
