/**
 * Backups before destructive steps. Inside a tenant's own transaction, before
 * its steps, every table a step drops and every column a step drops or
 * rewrites (with the row key, so values can be matched again) is copied into
 * a backup schema of the metadata area (`<metadataSchema>_backup`, `tm_backup`
 * by default), and recorded in `<metadataSchema>.backups`. The copy commits or
 * rolls back with the change it protects. `tm rollback` puts the data back
 * from there; `tm backups list|prune` show and remove them.
 *
 * Before a run copies anything, each database is checked once under the
 * migration lock: the privileges the copy needs, and the size of what would
 * be copied. PostgreSQL does not tell a client how much disk is free, so the
 * size check is against a limit (`--max-backup-size`, 10 GiB by default) that
 * catches a copy too big to do inside migration transactions.
 */
import type pg from 'pg';
import { sha256 } from '../catalog/fingerprint.js';
import { isConnectionLost } from '../db/connect.js';
import { TmError } from '../errors.js';
import { backupSchemaName } from '../config/tmSchemas.js';
import { quoteIdent } from '../sql/quote.js';
import { BACKUPS_TABLE, metadataObject } from './names.js';

const q = quoteIdent;

export const DEFAULT_MAX_BACKUP_BYTES = 10 * 1024 ** 3;

/** PostgreSQL truncates identifiers to 63 bytes. */
const MAX_IDENTIFIER = 63;

/** A table (every row) or a column (with the key that finds its rows again) to copy before the steps; plans list them per cohort. */
export interface BackupTarget {
  object: 'table' | 'column';
  table: string;
  /** The column, for a column backup; null for a table. */
  column: string | null;
  /** Columns identifying a row (primary key, else a unique key on NOT NULL columns); empty: none, so whole rows are copied. */
  key: string[];
  /** Columns copied, in order. */
  columns: string[];
  /** Of those, columns of a type of the tenant schema (enums), copied as text so the type can be dropped or rebuilt. */
  asText: string[];
  /** A step loses values (DATA_LOSS), not only rewrites them. */
  dataLoss: boolean;
}

/**
 * `b<hash>_<tenant>_<table>[_<column>]`, at most 63 bytes: the hash (of plan
 * id, tenant and object) makes it unique, the rest makes it readable; the
 * backups table records the full names.
 */
export function backupTableName(planId: string, tenant: string, target: Pick<BackupTarget, 'table' | 'column'>, attempt = 0): string {
  const hash = sha256([planId, tenant, target.table, target.column ?? '', String(attempt)].join('\0')).slice(0, 10);
  const readable = [tenant, target.table, target.column].filter((p) => p !== null).join('_').replace(/[^A-Za-z0-9_]/g, '_');
  return `b${hash}_${readable}`.slice(0, MAX_IDENTIFIER);
}

export interface BackupPreflightItem {
  schema: string;
  table: string;
}

export interface TakenBackup {
  target: BackupTarget;
  backupTable: string;
  rows: number;
}

export interface BackupRow {
  id: number;
  planId: string;
  tenantSchema: string;
  object: 'table' | 'column';
  table: string;
  column: string | null;
  key: string[];
  columns: string[];
  dataLoss: boolean;
  backupSchema: string;
  backupTable: string;
  rows: number;
  bytes: number;
  createdAt: Date;
}

function toBackupRow(r: any): BackupRow {
  return {
    id: Number(r.id),
    planId: r.plan_id,
    tenantSchema: r.tenant_schema,
    object: r.object_kind,
    table: r.table_name,
    column: r.column_name,
    key: r.key_columns,
    columns: r.columns,
    dataLoss: r.data_loss,
    backupSchema: r.backup_schema,
    backupTable: r.backup_table,
    rows: Number(r.row_count),
    bytes: Number(r.bytes),
    createdAt: r.created_at,
  };
}

/** The backups table of one database's metadata schema and the backup schema beside it, over one connection (see MetadataStore). */
export class Backups {
  /** The backup schema's name (unquoted): `tm_backup`. */
  readonly schema: string;
  /** The backups table, quoted: `"tm"."backups"`. */
  readonly table: string;

  constructor(
    private readonly db: pg.ClientBase,
    metadataSchema: string,
  ) {
    this.schema = backupSchemaName(metadataSchema);
    this.table = metadataObject(metadataSchema, BACKUPS_TABLE);
  }

  /** The table of backups taken, in the metadata schema (run under the migration lock, after History.ensure). */
  async ensure(): Promise<void> {
    await this.db.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
      id            bigserial   PRIMARY KEY,
      plan_id       text        NOT NULL,
      tenant_schema text        NOT NULL,
      object_kind   text        NOT NULL CHECK (object_kind IN ('table', 'column')),
      table_name    text        NOT NULL,
      column_name   text,
      key_columns   jsonb       NOT NULL,
      columns       jsonb       NOT NULL,
      data_loss     boolean     NOT NULL,
      backup_schema text        NOT NULL,
      backup_table  text        NOT NULL,
      row_count     bigint      NOT NULL,
      bytes         bigint      NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      UNIQUE (backup_schema, backup_table)
    )`);
    await this.db.query(`CREATE INDEX IF NOT EXISTS backups_tenant_plan ON ${this.table} (tenant_schema, plan_id)`);
  }

  /**
   * Once per database, under the migration lock, before any tenant: may this
   * role read what is copied and create the backup schema (or tables in it), and
   * is the copy a sane size? Then makes the backup schema. Fails naming what is
   * missing; tables that do not exist (stale tenants) are left to the stale check.
   */
  async prepare(items: BackupPreflightItem[], maxBytes: number): Promise<{ bytes: number }> {
    const backupSchema = this.schema;
    const { rows: who } = await this.db.query(
      `select current_user as role,
              to_regnamespace($1) is not null as schema_exists,
              has_database_privilege(current_database(), 'CREATE') as can_create_schema,
              case when to_regnamespace($1) is not null then has_schema_privilege(to_regnamespace($1), 'CREATE') end as can_create_table`,
      [q(backupSchema)],
    );
    const role = who[0].role as string;
    if (!who[0].schema_exists && !who[0].can_create_schema) {
      throw new TmError(
        `Cannot back up before destructive steps: role "${role}" may not create the backup schema ${backupSchema} (CREATE on database).`,
        `Create it once as an owner (CREATE SCHEMA ${q(backupSchema)} AUTHORIZATION ${q(role)}), grant CREATE on the database, or plan with --skip-backup.`,
      );
    }
    if (who[0].schema_exists && !who[0].can_create_table) {
      throw new TmError(
        `Cannot back up before destructive steps: role "${role}" may not create tables in ${backupSchema}.`,
        `GRANT CREATE ON SCHEMA ${q(backupSchema)} TO ${q(role)}, or plan with --skip-backup.`,
      );
    }
    let bytes = 0;
    if (items.length) {
      const { rows } = await this.db.query(
        `select x.s as schema, x.t as table, r.oid is not null as present,
                coalesce(pg_total_relation_size(r.oid), 0)::bigint as bytes,
                case when r.oid is not null then has_table_privilege(r.oid, 'SELECT') end as readable
           from unnest($1::text[], $2::text[]) as x(s, t)
           cross join lateral (select to_regclass(format('%I.%I', x.s, x.t)) as oid) r`,
        [items.map((i) => i.schema), items.map((i) => i.table)],
      );
      const unreadable = rows.filter((r) => r.present && !r.readable).map((r) => `${q(r.schema)}.${q(r.table)}`);
      if (unreadable.length) {
        throw new TmError(
          `Cannot back up before destructive steps: role "${role}" may not read ${unreadable.slice(0, 5).join(', ')}${unreadable.length > 5 ? ` and ${unreadable.length - 5} more` : ''}.`,
          'Run tm as the owner of the tenant schemas, or plan with --skip-backup.',
        );
      }
      bytes = rows.reduce((n, r) => n + Number(r.bytes), 0);
      if (bytes > maxBytes) {
        throw new TmError(
          `Backing up before destructive steps would copy up to ${formatBytes(bytes)} inside migration transactions, more than the limit of ${formatBytes(maxBytes)}.`,
          'Raise it with --max-backup-size, or back up another way (pg_dump) and plan with --skip-backup.',
        );
      }
    }
    if (!who[0].schema_exists) await this.db.query(`CREATE SCHEMA IF NOT EXISTS ${q(backupSchema)}`);
    return { bytes };
  }

  /** Copies the targets of one tenant, in its transaction, before its steps; records each in the backups table. */
  async take(planId: string, schema: string, targets: BackupTarget[]): Promise<TakenBackup[]> {
    const backupSchema = this.schema;
    const taken: TakenBackup[] = [];
    for (const target of targets) {
      // The same plan applied again after a rollback: a new name, the earlier copy stays.
      let attempt = 0;
      let name = backupTableName(planId, schema, target);
      while ((await this.db.query(`select to_regclass($1) is not null as present`, [`${q(backupSchema)}.${q(name)}`])).rows[0].present) {
        name = backupTableName(planId, schema, target, ++attempt);
      }
      const select = target.columns.map((c) => (target.asText.includes(c) ? `${q(c)}::text AS ${q(c)}` : q(c))).join(', ');
      let copied: pg.QueryResult;
      try {
        copied = await this.db.query(`CREATE TABLE ${q(backupSchema)}.${q(name)} AS SELECT ${select} FROM ${q(schema)}.${q(target.table)}`);
      } catch (error) {
        if (isConnectionLost(error)) throw error;
        // Which copy failed (the server says why: no space, a tablespace it cannot write, …); the code still tells retries and lost connections apart.
        const what = target.column === null ? `table ${q(target.table)}` : `column ${q(target.table)}.${q(target.column)}`;
        throw Object.assign(new Error(`the backup of ${what} into ${backupSchema}.${q(name)} failed: ${(error as Error).message}`), { code: (error as { code?: string }).code });
      }
      const rows = copied.rowCount ?? 0;
      await this.db.query(
        `INSERT INTO ${this.table}
           (plan_id, tenant_schema, object_kind, table_name, column_name, key_columns, columns, data_loss, backup_schema, backup_table, row_count, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, pg_total_relation_size(format('%I.%I', $9::text, $10::text)::regclass))`,
        [planId, schema, target.object, target.table, target.column, JSON.stringify(target.key), JSON.stringify(target.columns), target.dataLoss, backupSchema, name, rows],
      );
      taken.push({ target, backupTable: name, rows });
    }
    return taken;
  }

  private async hasCatalog(): Promise<boolean> {
    const { rows } = await this.db.query(`select to_regclass($1) is not null as present`, [this.table]);
    return rows[0].present;
  }

  /** Every backup recorded in a database, oldest first; [] when tm never backed up there. */
  async list(filter: { tenants?: string[]; planIds?: string[] } = {}): Promise<BackupRow[]> {
    if (!(await this.hasCatalog())) return [];
    const { rows } = await this.db.query(
      `select * from ${this.table}
        where ($1::text[] is null or tenant_schema = any($1)) and ($2::text[] is null or plan_id = any($2))
        order by created_at, id`,
      [filter.tenants ?? null, filter.planIds ?? null],
    );
    return rows.map(toBackupRow);
  }

  /**
   * The backups that are the only copy of their data: the table or column they
   * were taken from does not exist in the tenant now (it was dropped and not
   * put back, or the tenant itself is gone). Pruning one of those loses the
   * data for good; a backup whose object exists again (rolled back, re-added)
   * is not counted.
   */
  async onlyCopies(backups: BackupRow[]): Promise<BackupRow[]> {
    if (backups.length === 0) return [];
    const { rows } = await this.db.query(
      `select b.i::int as i
         from unnest($1::text[], $2::text[], $3::text[]) with ordinality as b(schema_name, table_name, column_name, i)
        where not exists (
                select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = b.schema_name and c.relname = b.table_name and c.relkind in ('r', 'p'))
           or (b.column_name is not null and not exists (
                select 1 from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = b.schema_name and c.relname = b.table_name and a.attname = b.column_name and a.attnum > 0 and not a.attisdropped))`,
      [backups.map((b) => b.tenantSchema), backups.map((b) => b.table), backups.map((b) => (b.object === 'column' ? b.column : null))],
    );
    const missing = new Set(rows.map((r) => r.i - 1));
    return backups.filter((_, i) => missing.has(i));
  }

  /** Drops the backup tables with these record ids and their records, in one transaction; returns what went. */
  async prune(ids: number[]): Promise<BackupRow[]> {
    if (ids.length === 0 || !(await this.hasCatalog())) return [];
    await this.db.query('BEGIN');
    try {
      const { rows } = await this.db.query(`DELETE FROM ${this.table} WHERE id = any($1::bigint[]) RETURNING *`, [ids]);
      for (const r of rows) await this.db.query(`DROP TABLE IF EXISTS ${q(r.backup_schema)}.${q(r.backup_table)}`);
      await this.db.query('COMMIT');
      return rows.map(toBackupRow).sort((a, b) => a.id - b.id);
    } catch (error) {
      await this.db.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }
}

/** Puts rows of a table back from its backup (the table was just created empty). Generated columns compute themselves. */
export function restoreTableSql(backupSchema: string, backupTable: string, table: string, columns: { name: string; type: string }[]): string {
  const names = columns.map((c) => q(c.name)).join(', ');
  const values = columns.map((c) => `b.${q(c.name)}::${c.type}`).join(', ');
  return `INSERT INTO ${q(table)} (${names}) OVERRIDING SYSTEM VALUE SELECT ${values} FROM ${q(backupSchema)}.${q(backupTable)} AS b`;
}

/** Puts a column's values back from its backup, matching rows by their key. */
export function restoreColumnSql(
  backupSchema: string,
  backupTable: string,
  table: string,
  column: { name: string; type: string },
  key: { name: string; type: string }[],
  /** The column to write the values into, when not the column itself (a rollback's staging column). */
  into: string = column.name,
): string {
  const match = key.map((k) => `t.${q(k.name)} = b.${q(k.name)}::${k.type}`).join(' AND ');
  return `UPDATE ${q(table)} AS t SET ${q(into)} = b.${q(column.name)}::${column.type} FROM ${q(backupSchema)}.${q(backupTable)} AS b WHERE ${match}`;
}

/** 1.5 GB, 300 kB: a size for people. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
