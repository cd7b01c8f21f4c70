/** Views and materialized views, with their definitions as PostgreSQL prints them. */
import { stripSchemaQualifier } from '../qualifier.js';
import { catalogPart } from './part.js';
import { withoutOwnQualifierOutsideLiterals } from './sql.js';

interface ViewRow {
  schema: string;
  schema_prefix: string;
  name: string;
  materialized: boolean;
  definition: string;
}

const VIEWS = `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as name,
       c.relkind = 'm' as materialized,
       pg_get_viewdef(c.oid) as definition
from rels c
where c.relkind in ('v', 'm')`;

export const viewsPart = catalogPart<ViewRow>({
  name: 'views',
  query: VIEWS,
  cost: 4,
  digest: () => `select md5(string_agg(row(x.name, x.materialized, ${withoutOwnQualifierOutsideLiterals('x.definition')})::text, '' order by x.name collate "C"))
    from (${VIEWS}) x`,
  build(rows, models) {
    for (const row of rows) {
      models.model(row.schema).views[row.name] = {
        definition: stripSchemaQualifier(row.definition, row.schema_prefix),
        materialized: row.materialized,
      };
    }
  },
});
