/**
 * Tables and their columns. Partitioned tables (relkind 'p') are tables like
 * any other; their partitions are not (sql.ts).
 */
import { stripSchemaQualifier } from '../qualifier.js';
import { catalogPart } from './part.js';
import { withoutOwnQualifier, withoutOwnQualifierOutsideLiterals } from './sql.js';

interface ColumnRow {
  schema: string;
  schema_prefix: string;
  table: string;
  /** Null on the one row of a table without columns. */
  column: string | null;
  column_number: number;
  type: string;
  not_null: boolean;
  default_expr: string | null;
  identity: string;
  generated: string;
  collation: string | null;
}

export const tablesPart = catalogPart<ColumnRow>({
  name: 'tables',
  // A table without columns yields one row with null column fields.
  query: `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as table,
       a.attname::text as column,
       a.attnum as column_number,
       format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null,
       -- A default has no column references: printed without its table, which saves opening the table.
       pg_get_expr(d.adbin, case when a.attgenerated = '' then 0 else d.adrelid end) as default_expr,
       a.attidentity::text as identity,
       a.attgenerated::text as generated,
       case when a.attcollation <> 0 and a.attcollation <> t.typcollation then quote_ident(coll.collname) end as collation
from rels c
left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
left join pg_type t on t.oid = a.atttypid
left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
left join pg_collation coll on coll.oid = a.attcollation
where c.relkind in ('r', 'p')
order by c.oid, a.attnum`,
  cost: 16,
  // format_type is printed for other than built-in types (OIDs from 16384 on), which may be the schema's own enums.
  digest: () => `select md5(string_agg(row(
      c.relname, a.attname, a.attnum, a.attnotnull, a.attidentity, a.attgenerated, a.attcollation, a.atttypmod,
      case when a.atttypid < 16384 then a.atttypid::text else ${withoutOwnQualifier('format_type(a.atttypid, a.atttypmod)')} end,
      case when a.atttypid >= 16384 then (select t.typcollation from pg_type t where t.oid = a.atttypid) end,
      ${withoutOwnQualifierOutsideLiterals('d.expression')}
    )::text, '' order by c.relname collate "C", a.attnum))
    from rels c
    left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    -- Only columns that have a default look theirs up (atthasdef gates the scan).
    left join lateral (
      select pg_get_expr(d.adbin, case when a.attgenerated = '' then 0 else d.adrelid end) as expression
      from pg_attrdef d where a.atthasdef and d.adrelid = a.attrelid and d.adnum = a.attnum
    ) d on true
    where c.relkind in ('r', 'p')`,
  build(rows, models) {
    for (const row of rows) {
      const t = models.table(row.schema, row.table);
      if (row.column === null) continue;
      models.numberColumn(t, row.column_number, row.column);
      const expression = row.default_expr === null ? null : stripSchemaQualifier(row.default_expr, row.schema_prefix);
      const generated = row.generated === 's';
      t.columns[row.column] = {
        type: stripSchemaQualifier(row.type, row.schema_prefix),
        notNull: row.not_null,
        default: generated ? null : expression,
        identity: row.identity === 'a' ? 'always' : row.identity === 'd' ? 'by default' : null,
        generated: generated ? expression : null,
        collation: row.collation,
      };
    }
  },
});
