/**
 * Indexes that do not back a primary key, unique or exclusion constraint
 * (those belong to the constraint). On a partitioned table PostgreSQL prints
 * `ON ONLY "t"`, a statement that would build the parent's index alone; the
 * index is the one `CREATE INDEX ON "t"` makes, which builds it on every
 * partition too (and is what Prisma's SQL says), so it is printed that way.
 *
 * Columns come as attribute numbers, named from the tables part's rows.
 */
import { stripSchemaQualifier } from '../qualifier.js';
import { catalogPart } from './part.js';
import { tablesPart } from './tables.js';

interface IndexRow {
  schema: string;
  schema_prefix: string;
  table: string;
  name: string;
  is_unique: boolean;
  is_valid: boolean;
  definition: string;
  column_numbers: number[] | null;
}

export const indexesPart = catalogPart<IndexRow>({
  name: 'indexes',
  query: `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as table,
       ic.relname::text as name,
       i.indisunique as is_unique,
       i.indisvalid as is_valid,
       replace(pg_get_indexdef(i.indexrelid), ' INDEX ' || quote_ident(ic.relname) || ' ON ' || case when c.relkind = 'p' then 'ONLY ' else '' end, ' INDEX ON ') as definition,
       i.indkey::int2[] as column_numbers
from rels c
join pg_index i on i.indrelid = c.oid
join pg_class ic on ic.oid = i.indexrelid
where c.relkind in ('r', 'p')
  and not exists (select 1 from pg_constraint con
                   where con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x'))`,
  cost: 10,
  wholeRow: { catalog: 'pg_index', leftOut: ['indexrelid', 'indrelid'] },
  // Every index, also those of keys: a key's index has the key's name (PostgreSQL renames them together), so
  // which index belongs to which key follows from the names. pg_get_indexdef prints the access method and the
  // storage options; a key's definition, its tablespace too. (The table's kind is in too, though its index
  // prints the same whether the table is partitioned or not: a finer digest only reads one more schema.)
  digest: (whole) => `select md5(string_agg(row(
      c.relname, c.relkind, ic.relname, ic.relam, ic.reloptions, ic.reltablespace, ${whole('i')},
      -- Operator class options (siglen=…) are kept with the index's own columns, not in pg_index.
      (select array_agg(ia.attoptions order by ia.attnum) from pg_attribute ia where ia.attrelid = i.indexrelid and ia.attoptions is not null)
    )::text, '' order by c.relname collate "C", ic.relname collate "C"))
    from rels c
    join pg_index i on i.indrelid = c.oid
    join pg_class ic on ic.oid = i.indexrelid
    where c.relkind in ('r', 'p')`,
  after: [tablesPart],
  build(rows, models) {
    for (const row of rows) {
      const t = models.table(row.schema, row.table);
      t.indexes[row.name] = {
        definition: stripSchemaQualifier(row.definition, row.schema_prefix),
        unique: row.is_unique,
        columns: models.columnNames(t, row.column_numbers),
        ...(row.is_valid ? {} : { invalid: true as const }),
      };
    }
  },
});
