/**
 * Sequences. Those behind identity columns (owner_kind 'i') become part of
 * their column, not sequences of the schema: their options (start,
 * increment, …) are part of the column's definition. So this part builds
 * after the tables part.
 */
import { catalogPart } from './part.js';
import { tablesPart } from './tables.js';

interface SequenceRow {
  schema: string;
  name: string;
  data_type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  owned_by_table: string | null;
  owned_by_column: string | null;
  owner_kind: string | null;
}

export const sequencesPart = catalogPart<SequenceRow>({
  name: 'sequences',
  query: `
select c.nspname::text as schema,
       c.relname::text as name,
       format_type(s.seqtypid, null) as data_type,
       s.seqstart::text as start,
       s.seqincrement::text as increment,
       s.seqmin::text as min,
       s.seqmax::text as max,
       s.seqcache::text as cache,
       s.seqcycle as cycle,
       case when tn.nspname = c.nspname then tc.relname::text end as owned_by_table,
       case when tn.nspname = c.nspname then ta.attname::text end as owned_by_column,
       dep.deptype::text as owner_kind
from rels c
join pg_sequence s on s.seqrelid = c.oid
left join pg_depend dep on dep.classid = 'pg_class'::regclass and dep.objid = c.oid
                       and dep.refclassid = 'pg_class'::regclass and dep.deptype in ('a', 'i')
left join pg_class tc on tc.oid = dep.refobjid
left join pg_namespace tn on tn.oid = tc.relnamespace
left join pg_attribute ta on ta.attrelid = dep.refobjid and ta.attnum = dep.refobjsubid`,
  cost: 6,
  wholeRow: { catalog: 'pg_sequence', leftOut: ['seqrelid'] },
  digest: (whole) => `select md5(string_agg(row(
      c.relname, ${whole('s')}, dep.deptype,
      case when tc.relnamespace = o.oid then tc.relname end,
      case when tc.relnamespace = o.oid then dep.refobjsubid end
    )::text, '' order by c.relname collate "C"))
    from rels c
    join pg_sequence s on s.seqrelid = c.oid
    left join pg_depend dep on dep.classid = 'pg_class'::regclass and dep.objid = c.oid
                           and dep.refclassid = 'pg_class'::regclass and dep.deptype in ('a', 'i')
    left join pg_class tc on tc.oid = dep.refobjid`,
  after: [tablesPart],
  build(rows, models) {
    for (const row of rows) {
      const { start, increment, min, max, cache, cycle } = row;
      if (row.owner_kind === 'i') {
        // An identity column's sequence: its options belong to the column.
        const column = models.model(row.schema).tables[row.owned_by_table!]?.columns[row.owned_by_column!];
        if (column) column.identitySequence = { start, increment, min, max, cache, cycle };
        continue;
      }
      models.model(row.schema).sequences[row.name] = {
        dataType: row.data_type,
        start,
        increment,
        min,
        max,
        cache,
        cycle,
        ownedBy: row.owned_by_table ? { table: row.owned_by_table, column: row.owned_by_column! } : null,
      };
    }
  },
});
