/**
 * History lives in a metadata schema of each database (`tm` by default), not
 * in tenant schemas, where Prisma would see it as drift. Rows are written in
 * the tenant's own transaction: a row exists exactly when its change does.
 *
 * Models of schemas before a plan ran are kept one row per state (by
 * fingerprint) in the models table: history rows refer to theirs by
 * before_fingerprint. A fleet in one state stores its model once, not once
 * per tenant (rows written by an earlier tm hold it in history.before_model).
 */
import type { SchemaModel } from '../catalog/model.js';
import type { Queryable } from '../db/queryable.js';
import { quoteIdent } from '../sql/quote.js';
import { HISTORY_TABLE, metadataObject, MODELS_TABLE } from './names.js';

export interface HistoryRow {
  tenantSchema: string;
  planId: string;
  kind: string;
  name: string;
  beforeFingerprint: string;
  afterFingerprint: string;
  appliedBy: string;
  statements: string[];
  /** Stored in the models table (its row written with the history row unless `modelStored`); null when the schema did not exist. */
  beforeModel: SchemaModel | null;
  /** The before-model's row is known to be in the models table already (committed by an earlier tenant). */
  modelStored?: boolean;
  tmVersion: string;
  /** Destructive steps ran without their backups (--skip-backup). */
  skipBackup?: boolean;
  /** Statements that run after the transaction; the row stays incomplete (completed_at null) until they have. */
  deferredStatements?: string[];
  acceptedHazards?: unknown[];
}

type Value = string | boolean | null;

/**
 * The INSERTs of a history row and, unless stored already, of its
 * before-model; each writes its values with `value` (a parameter
 * placeholder).
 */
const inserts: ((tables: { history: string; models: string }, row: HistoryRow, value: (v: Value) => string) => string | null)[] = [
  (tables, row, value) =>
    row.beforeModel && !row.modelStored
      ? `INSERT INTO ${tables.models} (fingerprint, model) VALUES (${value(row.beforeFingerprint)}, ${value(JSON.stringify(row.beforeModel))})
     ON CONFLICT (fingerprint) DO NOTHING`
      : null,
  (tables, row, value) => {
    const deferred = value(row.deferredStatements?.length ? JSON.stringify(row.deferredStatements) : null);
    return `INSERT INTO ${tables.history}
       (tenant_schema, plan_id, kind, name, before_fingerprint, after_fingerprint, duration_ms, applied_by, statements, tm_version, skip_backup,
        deferred_statements, completed_at, accepted_hazards)
     VALUES (${[
       value(row.tenantSchema),
       value(row.planId),
       value(row.kind),
       value(row.name),
       value(row.beforeFingerprint),
       value(row.afterFingerprint),
       // The server's duration: from the transaction's start until now.
       `(extract(epoch from clock_timestamp() - now()) * 1000)::integer`,
       value(row.appliedBy),
       value(JSON.stringify(row.statements)),
       value(row.tmVersion),
       value(row.skipBackup ?? false),
       deferred,
       `CASE WHEN ${deferred}::jsonb IS NULL THEN now() END`,
       value(JSON.stringify(row.acceptedHazards ?? [])),
     ].join(', ')})`;
  },
];

/** The INSERTs of a history row (and of its before-model unless stored), each with its parameters. */
/** The INSERTs of a history row (and of its before-model unless stored), each with its parameters. */
function historyInserts(tables: { history: string; models: string }, row: HistoryRow): { text: string; values: Value[] }[] {
  return inserts.flatMap((insert) => {
    const values: Value[] = [];
    const text = insert(tables, row, (v) => `$${values.push(v)}`);
    return text === null ? [] : [{ text, values }];
  });
}

export interface TenantHistory {
  tenantSchema: string;
  version: number;
  lastName: string;
  lastKind: string;
  lastAppliedAt: Date;
  lastPlanId: string;
  /** Applied plans whose destructive steps ran without backups (--skip-backup). */
  backupsSkipped: number;
}

export interface AppliedPlan {
  id: number;
  planId: string;
  kind: string;
  name: string;
  beforeFingerprint: string;
  afterFingerprint: string;
  appliedAt: Date;
  beforeModel: SchemaModel | null;
  skipBackup: boolean;
}

/** The history and models tables of one database's metadata schema, over one connection (see MetadataStore). */
export class History {
  /** The history table, quoted: `"tm"."history"`. */
  readonly table: string;
  private readonly models: string;

  constructor(
    private readonly db: Queryable,
    private readonly metadataSchema: string,
  ) {
    this.table = metadataObject(metadataSchema, HISTORY_TABLE);
    this.models = metadataObject(metadataSchema, MODELS_TABLE);
  }

  /** Creates the metadata schema and history table when missing (run under the migration lock). */
  async ensure(): Promise<void> {
    const { db, table } = this;
    // Only when missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
    const { rows } = await db.query(`select to_regnamespace($1) is not null as present`, [quoteIdent(this.metadataSchema)]);
    if (!rows[0].present) await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.metadataSchema)}`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
    id                 bigserial PRIMARY KEY,
    tenant_schema      text        NOT NULL,
    plan_id            text        NOT NULL,
    kind               text        NOT NULL,
    name               text        NOT NULL,
    before_fingerprint text        NOT NULL,
    after_fingerprint  text        NOT NULL,
    applied_at         timestamptz NOT NULL DEFAULT now(),
    duration_ms        integer     NOT NULL,
    applied_by         text        NOT NULL,
    statements         jsonb       NOT NULL,
    before_model       jsonb,
    tm_version         text        NOT NULL,
    UNIQUE (tenant_schema, plan_id)
  )`);
    // Added with plan kinds: histories written by an earlier tm get it too.
    await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS skip_backup boolean NOT NULL DEFAULT false`);
    // Non-transactional steps (CREATE INDEX CONCURRENTLY) run after the row is written: recorded separately, done when completed_at is set.
    await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS deferred_statements jsonb`);
    await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS completed_at timestamptz DEFAULT now()`);
    // Which hazards the policy let through for this apply, and by what (--allow-hazards or tenants.yaml).
    await db.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS accepted_hazards jsonb NOT NULL DEFAULT '[]'`);
    await db.query(`CREATE TABLE IF NOT EXISTS ${this.models} (fingerprint text PRIMARY KEY, model jsonb NOT NULL)`);
  }

  /** The INSERTs of a history row (and of its before-model unless stored), each with its parameters: for a batch (the quick way). */
  inserts(row: HistoryRow): { text: string; values: Value[] }[] {
    return historyInserts({ history: this.table, models: this.models }, row);
  }

  async insert(row: HistoryRow): Promise<void> {
    for (const { text, values } of this.inserts(row)) await this.db.query(text, values);
  }

  /** The deferred statements of a tenant's row have all run. */
  async markDeferredDone(tenantSchema: string, planId: string, onlyPending = false): Promise<void> {
    await this.db.query(
      `UPDATE ${this.table} SET completed_at = now() WHERE tenant_schema = $1 AND plan_id = $2${onlyPending ? ' AND completed_at IS NULL' : ''}`,
      [tenantSchema, planId],
    );
  }

  /** When this plan was applied to the tenant, if it was (its history row). */
  async whenApplied(tenantSchema: string, planId: string): Promise<Date | undefined> {
    const { rows } = await this.db.query(`SELECT applied_at FROM ${this.table} WHERE tenant_schema = $1 AND plan_id = $2`, [tenantSchema, planId]);
    return rows[0]?.applied_at;
  }

  /** Per tenant: how many plans were applied and the latest; one query per database. Empty when tm never applied here. */
  async latest(): Promise<Map<string, TenantHistory>> {
    const { rows: exists } = await this.db.query(
      `select to_regclass($1) is not null as present,
            exists (select from pg_attribute where attrelid = to_regclass($1) and attname = 'skip_backup' and not attisdropped) as has_skip_backup`,
      [this.table],
    );
    const out = new Map<string, TenantHistory>();
    if (!exists[0].present) return out;
    const skipped = exists[0].has_skip_backup ? 'count(*) FILTER (WHERE skip_backup) OVER (PARTITION BY tenant_schema)::int' : '0';
    const { rows } = await this.db.query(
      `SELECT DISTINCT ON (tenant_schema) tenant_schema, name, kind, applied_at, plan_id,
            count(*) OVER (PARTITION BY tenant_schema)::int AS version, ${skipped} AS backups_skipped
       FROM ${this.table}
      ORDER BY tenant_schema, applied_at DESC, id DESC`,
    );
    for (const r of rows) {
      out.set(r.tenant_schema, {
        tenantSchema: r.tenant_schema,
        version: r.version,
        lastName: r.name,
        lastKind: r.kind,
        lastAppliedAt: r.applied_at,
        lastPlanId: r.plan_id,
        backupsSkipped: r.backups_skipped,
      });
    }
    return out;
  }

  /** The last plan applied to each schema and the state it left it in (empty when tm never applied here). */
  async lastApplied(): Promise<Map<string, { planId: string; afterFingerprint: string }>> {
    const out = new Map<string, { planId: string; afterFingerprint: string }>();
    const { rows: present } = await this.db.query('select to_regclass($1) is not null as present', [this.table]);
    if (!present[0].present) return out;
    const { rows } = await this.db.query(
      `SELECT DISTINCT ON (tenant_schema) tenant_schema, plan_id, after_fingerprint FROM ${this.table} ORDER BY tenant_schema, applied_at DESC, id DESC`,
    );
    for (const r of rows) out.set(r.tenant_schema, { planId: r.plan_id, afterFingerprint: r.after_fingerprint });
    return out;
  }

  /** Every plan applied to one tenant schema, oldest first; [] when tm never applied here. */
  async ofTenant(tenantSchema: string): Promise<AppliedPlan[]> {
    const { rows: exists } = await this.db.query(`select to_regclass($1) is not null as history, to_regclass($2) is not null as models`, [this.table, this.models]);
    if (!exists[0].history) return [];
    const { rows } = await this.db.query(
      // skip_backup through to_jsonb: a history table written by an earlier tm does not have it yet; nor the models table.
      `SELECT id, plan_id, kind, name, before_fingerprint, after_fingerprint, applied_at,
            ${exists[0].models ? 'coalesce(h.before_model, m.model)' : 'h.before_model'} AS before_model,
            coalesce((to_jsonb(h) ->> 'skip_backup')::boolean, false) AS skip_backup
       FROM ${this.table} h
       ${exists[0].models ? `LEFT JOIN ${this.models} m ON m.fingerprint = h.before_fingerprint` : ''}
      WHERE tenant_schema = $1 ORDER BY applied_at, id`,
      [tenantSchema],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      planId: r.plan_id,
      kind: r.kind,
      name: r.name,
      beforeFingerprint: r.before_fingerprint,
      afterFingerprint: r.after_fingerprint,
      appliedAt: r.applied_at,
      beforeModel: r.before_model,
      skipBackup: r.skip_backup,
    }));
  }

  /** The name of the latest `migrate` plan applied to any of these tenants (any tenant when empty), or null. */
  async latestMigrationName(tenants: string[] = []): Promise<{ name: string; appliedAt: Date } | null> {
    const { rows: exists } = await this.db.query(`select to_regclass($1) is not null as present`, [this.table]);
    if (!exists[0].present) return null;
    const { rows } = await this.db.query(
      `SELECT name, applied_at FROM ${this.table}
      WHERE kind = 'migrate' AND (cardinality($1::text[]) = 0 OR tenant_schema = any($1))
      ORDER BY applied_at DESC, id DESC LIMIT 1`,
      [tenants],
    );
    return rows[0] ? { name: rows[0].name, appliedAt: rows[0].applied_at } : null;
  }
}
