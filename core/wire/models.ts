// Published router models: the latest-version pointer, version records and reported evaluations.
import * as z from "zod";
import { privacySpentSchema } from "./privacy.ts";
import { federationIdSchema } from "./tokens.ts";

export const modelVersionSchema = z
  .object({
    version: z.number().int().nonnegative(),
    /** Hex SHA-256 of the model file's bytes (also the ETag). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    bytes: z.number().int(),
    createdAt: z.string(),
    /** The round that produced it (null for the initial model). */
    round: z.number().int().nullable(),
    /**
     * The edge's Ed25519 signature of (federation id, version, sha256), 64 bytes as base64url
     * (core/model-signature.ts); clients verify it with the modelPublicKey of their enrolment.
     */
    signature: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
    /** With a privacy budget: the cumulative (epsilon, delta) of the rounds behind this version. */
    privacy: privacySpentSchema.optional(),
  })
  .meta({ id: "ModelVersion" });

export type ModelVersion = z.infer<typeof modelVersionSchema>;

export const modelPointerSchema = modelVersionSchema
  .extend({
    federationId: federationIdSchema,
    /** Where the immutable bytes of this version are served. */
    url: z.string(),
  })
  .meta({ id: "ModelPointer" });

export type ModelPointer = z.infer<typeof modelPointerSchema>;

export const versionParamsSchema = z.object({
  federationId: federationIdSchema,
  version: z.coerce.number().int().min(0).max(1e9),
});

export const evaluationReportSchema = z
  .object({
    /** Area under the quality-cost curve the client measured on its held-out data. */
    auc: z.number().min(0).max(1),
    /** Held-out examples behind it (weights the mean). */
    examples: z.number().int().min(1).max(1e9),
  })
  .meta({ id: "EvaluationReport" });

export type EvaluationReport = z.infer<typeof evaluationReportSchema>;

export const versionEvaluationSchema = z
  .object({
    version: z.number().int(),
    /** Example-weighted mean AUC over the clients that reported one. */
    meanAuc: z.number(),
    reports: z.number().int(),
    examples: z.number().int(),
  })
  .meta({ id: "VersionEvaluation" });

export type VersionEvaluation = z.infer<typeof versionEvaluationSchema>;

/** The model key in KV: immutable once written, read only after the pointer names it. */
export function modelKey(federationId: string, version: number): string {
  return `models/${federationId}/${version}`;
}

/** The public path of a version's bytes. */
export function modelPath(federationId: string, version: number): string {
  return `/v1/federations/${federationId}/models/${version}`;
}

/** A version's strong ETag: its SHA-256, quoted. */
export function etagOf(sha256: string): string {
  return `"${sha256}"`;
}

/** Whether an If-None-Match header names the ETag (weak or strong, or `*`): the client holds it. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return (ifNoneMatch ?? "")
    .split(",")
    .some((tag) => tag.trim().replace(/^W\//, "") === etag || tag.trim() === "*");
}
