// Wire schemas of the fedrouter HTTP API: the single source of request and response types for the
// edge worker and the client SDK.

/** Client enrolment. */
export * from "./clients.ts";
/** The dashboard's read model. */
export * from "./dashboard.ts";
/** Error envelope, stable codes and the result union of Durable Object methods. */
export * from "./errors.ts";
/** Federation configuration and usage ledger. */
export * from "./federation.ts";
/** Model versions, the latest pointer and evaluations. */
export * from "./models.ts";
/** Rounds and stage messages. */
export * from "./rounds.ts";
/** Tenants, quotas and owner tokens. */
export * from "./tenants.ts";
/** Identifiers and bearer-token formats. */
export * from "./tokens.ts";
