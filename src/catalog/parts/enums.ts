/** Enum types, with their labels in sort order. */
import { catalogPart } from './part.js';

interface EnumRow {
  schema: string;
  name: string;
  values: string[];
}

const ENUMS = `
select w.nspname::text as schema,
       t.typname::text as name,
       array_agg(e.enumlabel::text order by e.enumsortorder) as values
from wanted w
join pg_depend dep on dep.refclassid = 'pg_namespace'::regclass and dep.refobjid = w.oid
                  and dep.classid = 'pg_type'::regclass and dep.deptype = 'n'
join pg_type t on t.oid = dep.objid and t.typtype = 'e'
join pg_enum e on e.enumtypid = t.oid
group by w.nspname, t.typname`;

export const enumsPart = catalogPart<EnumRow>({
  name: 'enums',
  query: ENUMS,
  cost: 1.5,
  // Names and labels are all there is: the rows themselves.
  digest: () => `select md5(string_agg(row(x.name, x.values)::text, '' order by x.name collate "C")) from (${ENUMS}) x`,
  build(rows, models) {
    for (const row of rows) models.model(row.schema).enums[row.name] = { values: row.values };
  },
});
