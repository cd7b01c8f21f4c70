/**
 * Primary key, unique, check, foreign-key and exclusion constraints (NOT
 * NULL, PostgreSQL 18's contype 'n', is a column property). Those with a
 * parent constraint are part of it: a foreign key to a partitioned table has
 * one more row per partition of that table, on the referencing table.
 *
 * Columns come as attribute numbers, named from the tables part's rows: a
 * per-row subquery costs more than the rest of the query.
 */
import type { ConstraintKind } from '../model.js';
import { stripSchemaQualifier } from '../qualifier.js';
import { catalogPart } from './part.js';
import { tablesPart } from './tables.js';

const CONSTRAINT_KINDS: Record<string, ConstraintKind> = {
  p: 'primary key',
  u: 'unique',
  c: 'check',
  f: 'foreign key',
  x: 'exclusion',
};

interface ConstraintRow {
  schema: string;
  schema_prefix: string;
  table: string;
  name: string;
  kind: string;
  definition: string;
  column_numbers: number[] | null;
  references_table: string | null;
  deferrable: boolean;
  deferred: boolean;
  validated: boolean;
}

export const constraintsPart = catalogPart<ConstraintRow>({
  name: 'constraints',
  query: `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as table,
       con.conname::text as name,
       con.contype::text as kind,
       pg_get_constraintdef(con.oid) as definition,
       con.conkey as column_numbers,
       case when con.contype = 'f' then
         case when fn.nspname = c.nspname then fc.relname::text else quote_ident(fn.nspname) || '.' || quote_ident(fc.relname) end
       end as references_table,
       con.condeferrable as deferrable,
       con.condeferred as deferred,
       con.convalidated as validated
from rels c
join pg_constraint con on con.conrelid = c.oid
left join pg_class fc on fc.oid = con.confrelid
left join pg_namespace fn on fn.oid = fc.relnamespace
where c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'c', 'f', 'x') and con.conparentid = 0`,
  cost: 11,
  wholeRow: { catalog: 'pg_constraint', leftOut: ['oid', 'connamespace', 'conrelid', 'conindid', 'conparentid', 'confrelid', 'contypid'] },
  // A key's printed definition also shows its index's options (INCLUDE, WITH, tablespace): they are in the indexes digest.
  digest: (whole) => `select md5(string_agg(row(
      c.relname,
      ${whole('con')},
      (select case when fc.relnamespace = o.oid then fc.relname::text else fc.oid::text end from pg_class fc where fc.oid = con.confrelid)
    )::text, '' order by c.relname collate "C", con.conname collate "C"))
    from rels c
    join pg_constraint con on con.conrelid = c.oid
    where c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'c', 'f', 'x') and con.conparentid = 0`,
  after: [tablesPart],
  build(rows, models) {
    for (const row of rows) {
      const t = models.table(row.schema, row.table);
      t.constraints[row.name] = {
        kind: CONSTRAINT_KINDS[row.kind],
        definition: stripSchemaQualifier(row.definition, row.schema_prefix),
        columns: models.columnNames(t, row.column_numbers),
        references: row.references_table,
        deferrable: row.deferrable,
        initiallyDeferred: row.deferred,
        validated: row.validated,
      };
    }
  },
});
