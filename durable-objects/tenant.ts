// A tenant's durable state: its record, owner tokens (hashed), federations and daily update quota.
import { DurableObject } from "cloudflare:workers";
import { sha256Hex } from "../core/sha256.ts";
import type { Dashboard } from "../core/wire/dashboard.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { Federation, FederationConfig } from "../core/wire/federation.ts";
import { mintId, randomId } from "../core/wire/ids.ts";
import type {
  CreatedTenant,
  CreateTenant,
  IssuedOwnerToken,
  Tenant as TenantRecord,
} from "../core/wire/tenants.ts";
import { formatOwnerToken } from "../core/wire/tokens.ts";
import { randomSecret, secretMatches } from "./credentials.ts";
import { hasSchema, migrate } from "./migrations.ts";
import { type Sql, sqlOf } from "./sql.ts";
import { dayOf, RESERVATIONS_MIGRATION, reserve, settle, updatesOn } from "./tenant-quota.ts";

const MIGRATIONS = [
  `CREATE TABLE tenant (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
   CREATE TABLE owner_tokens (token_id TEXT PRIMARY KEY, hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
   CREATE TABLE federations (id TEXT PRIMARY KEY, created_at TEXT NOT NULL);
   CREATE TABLE updates_by_day (day TEXT PRIMARY KEY, updates INTEGER NOT NULL);`,
  RESERVATIONS_MIGRATION,
];

type StoredTenant = Omit<TenantRecord, "updatesToday">;

/** Which round of which federation a reservation of updates is for. */
interface RoundKey {
  federationId: string;
  round: number;
}

export class Tenant extends DurableObject<Env> {
  private record: StoredTenant | undefined;
  private readonly sql: Sql;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      // Objects reached by an unknown id stay empty: tables appear only when the object is created.
      if (!hasSchema(ctx.storage.sql)) return;
      migrate(ctx.storage.sql, MIGRATIONS);
      const row = this.sql.first<{ record: string }>`SELECT record FROM tenant`;
      this.record = row ? (JSON.parse(row.record) as StoredTenant) : undefined;
    });
  }

  /** Creates the tenant (once) and its first owner token. */
  async create(id: string, input: CreateTenant): Promise<Result<CreatedTenant>> {
    if (this.record) return failure("conflict", "tenant already exists");
    migrate(this.ctx.storage.sql, MIGRATIONS);
    const record: StoredTenant = {
      id,
      name: input.name,
      quota: input.quota,
      createdAt: new Date().toISOString(),
    };
    const ownerToken = await this.newOwnerToken(id);
    this.sql`INSERT INTO tenant (id, record) VALUES (1, ${JSON.stringify(record)})`;
    this.record = record;
    return success({ tenant: this.describeRecord(record), ownerToken });
  }

  /** Checks an owner token's secret: unknown, revoked or wrong all fail the same way. */
  async authenticateOwner(tokenId: string, secret: string): Promise<Result<{ tenantId: string }>> {
    if (!this.record) {
      await secretMatches(secret, "0".repeat(64));
      return failure("unauthorized", "invalid or revoked owner token");
    }
    const row = this.sql.first<{ hash: string; revokedAt: string | null }>`
      SELECT hash, revoked_at FROM owner_tokens WHERE token_id = ${tokenId}`;
    // Hash even when the token is unknown so the timing does not tell which tokens exist.
    const matches = await secretMatches(secret, row?.hash ?? "0".repeat(64));
    if (!this.record || !row || row.revokedAt !== null || !matches)
      return failure("unauthorized", "invalid or revoked owner token");
    return success({ tenantId: this.record.id });
  }

  async describe(): Promise<Result<TenantRecord>> {
    if (!this.record) return failure("not_found", "no such tenant");
    return success(this.describeRecord(this.record));
  }

  async issueOwnerToken(): Promise<Result<IssuedOwnerToken>> {
    if (!this.record) return failure("not_found", "no such tenant");
    return success(await this.newOwnerToken(this.record.id));
  }

  async revokeOwnerToken(tokenId: string): Promise<Result<{ tokenId: string; revokedAt: string }>> {
    if (!this.record) return failure("not_found", "no such tenant");
    const revokedAt = new Date().toISOString();
    const revoked = this.sql.write`
      UPDATE owner_tokens SET revoked_at = ${revokedAt} WHERE token_id = ${tokenId} AND revoked_at IS NULL`;
    if (revoked === 0) return failure("not_found", `no active owner token ${tokenId}`);
    return success({ tokenId, revokedAt });
  }

  /** Creates a federation of this tenant: its own Federation object publishes the initial model. */
  async createFederation(config: FederationConfig): Promise<Result<Federation>> {
    if (!this.record) return failure("not_found", "no such tenant");
    const id = await mintId("fed", this.env.ID_KEY);
    const created = await this.env.FEDERATIONS.getByName(id).create(id, this.record.id, config);
    if (created.ok)
      this.sql`INSERT INTO federations (id, created_at) VALUES (${id}, ${created.value.createdAt})`;
    return created;
  }

  async listFederations(): Promise<Result<Federation[]>> {
    if (!this.record) return failure("not_found", "no such tenant");
    const caller = { kind: "owner", tenantId: this.record.id } as const;
    const all = await Promise.all(
      this.federationIds().map((id) => this.env.FEDERATIONS.getByName(id).describe(caller)),
    );
    // An owner's view always carries the usage ledger (a client's never does).
    return success(all.flatMap((r) => (r.ok && "usage" in r.value ? [r.value] : [])));
  }

  async dashboard(): Promise<Result<Dashboard>> {
    if (!this.record) return failure("not_found", "no such tenant");
    const caller = { kind: "owner", tenantId: this.record.id } as const;
    const all = await Promise.all(
      this.federationIds().map((id) => this.env.FEDERATIONS.getByName(id).overview(caller)),
    );
    return success({
      tenant: this.describeRecord(this.record),
      federations: all.flatMap((r) => (r.ok ? [r.value] : [])),
    });
  }

  /** Reserves updates against today's quota (a round reserves its cohort when it starts). */
  async reserveUpdates(
    round: RoundKey,
    count: number,
    now = Date.now(),
  ): Promise<Result<{ remaining: number }>> {
    const record = this.record;
    if (!record) return failure("not_found", "no such tenant");
    return this.ctx.storage.transactionSync(() =>
      reserve(this.sql, record.quota.updatesPerDay, round, count, dayOf(now)),
    );
  }

  /**
   * A round ended (or never opened): it is charged the updates it aggregated and the rest of its
   * reservation goes back to the quota. Repeating it changes nothing.
   */
  async settleUpdates(round: RoundKey, used: number): Promise<Result<null>> {
    if (!this.record) return failure("not_found", "no such tenant");
    this.ctx.storage.transactionSync(() => settle(this.sql, round, used));
    return success(null);
  }

  private federationIds(): string[] {
    return this.sql<{ id: string }>`SELECT id FROM federations ORDER BY created_at, id`.map((r) => r.id);
  }

  private describeRecord(record: StoredTenant): TenantRecord {
    return { ...record, updatesToday: updatesOn(this.sql, dayOf(Date.now())) };
  }

  private async newOwnerToken(tenantId: string): Promise<IssuedOwnerToken> {
    const tokenId = randomId("tok", 6);
    const secret = randomSecret();
    const hash = await sha256Hex(secret);
    this.sql`INSERT INTO owner_tokens (token_id, hash, created_at)
             VALUES (${tokenId}, ${hash}, ${new Date().toISOString()})`;
    return { tokenId, token: formatOwnerToken(tenantId, tokenId, secret) };
  }
}
