/**
 * The last migration `prisma migrate deploy` applied to each tenant, read
 * from the tenant's `_prisma_migrations`: where a fleet Prisma migrated stands
 * before tm applied anything to it (tm status). Two queries per database,
 * whatever the number of tenants: which tenants have the table, then one
 * statement reading all of them.
 */
import type { Queryable } from '../db/queryable.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';

export interface PrismaMigration {
  name: string;
  /** When it finished, ISO 8601. */
  finishedAt: string;
}

/** Tenants read per statement: keeps one statement's size bounded on a large fleet. */
const BATCH = 500;

export async function lastPrismaMigrations(db: Queryable, schemas: string[]): Promise<Map<string, PrismaMigration>> {
  const out = new Map<string, PrismaMigration>();
  if (schemas.length === 0) return out;
  const { rows } = await db.query(
    `select n.nspname::text as schema
       from pg_namespace n
       join pg_class c on c.relnamespace = n.oid and c.relname = '_prisma_migrations' and c.relkind = 'r'
      where n.nspname = any($1::text[]::name[])
      order by 1`,
    [schemas],
  );
  const withTable: string[] = rows.map((r: { schema: string }) => r.schema);
  for (let from = 0; from < withTable.length; from += BATCH) {
    // Names are quoted as identifier and literal: a schema name is never pasted as text.
    const parts = withTable.slice(from, from + BATCH).map(
      (schema) =>
        `(select ${quoteLiteral(schema)} as schema, migration_name::text as name, finished_at
            from ${quoteIdent(schema)}."_prisma_migrations"
           where finished_at is not null and rolled_back_at is null
           order by finished_at desc, migration_name desc limit 1)`,
    );
    const { rows: last } = await db.query(parts.join('\nunion all\n'));
    for (const row of last as { schema: string; name: string; finished_at: Date }[]) {
      out.set(row.schema, { name: row.name, finishedAt: new Date(row.finished_at).toISOString() });
    }
  }
  return out;
}
