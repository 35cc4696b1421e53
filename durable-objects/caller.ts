// Who is calling a Durable Object method, as the worker established it. Owner callers were checked
// by their tenant's object; client callers carry their secret to the object that holds its hash.

export type Caller =
  | { kind: "owner"; tenantId: string }
  | { kind: "client"; clientId: string; secret: string }
  /** Another Durable Object of this service (never built from a request). */
  | { kind: "service" };
