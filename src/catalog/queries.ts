/**
 * The statements tm sends to read catalogs, made of the catalog parts
 * (parts/index.ts): a read of some parts' rows for every wanted schema, and
 * a signature per schema. Each takes the wanted schema names as `$1::text[]`
 * and returns rows for all of them at once (see parts/sql.ts).
 *
 * A large fleet is first read as signatures (signatureQuery): one digest per
 * schema of its catalog rows, so that only one schema per state is read row
 * by row.
 */
import { quoteIdent } from '../sql/quote.js';
import { CATALOG_PARTS, type CatalogPart } from './parts/index.js';
import { RELS, WANTED } from './parts/sql.js';

/** Schemas whose name matches one of the LIKE patterns in $1, minus those in $2. */
export const MATCHING_SCHEMAS = `
select n.nspname::text as schema
from pg_namespace n
where n.nspname like any($1::text[])
  and not n.nspname = any($2::text[])
  -- PostgreSQL's own schemas are never tenants, whatever the pattern (discover: ['*']).
  and left(n.nspname, 3) <> 'pg_' and n.nspname <> 'information_schema'
order by 1`;

/**
 * One statement for several parts: each part's rows as a JSON array in a
 * column of the one row returned. One round trip instead of one per part,
 * which is what the applier's per-tenant checks are made of; JSON also parses
 * faster than rows on the client.
 */
export function catalogQuery(parts: readonly CatalogPart[]): string {
  const columns = parts.map((part) => `(select coalesce(json_agg(x), '[]'::json) from (${part.query}) x) as ${part.name}`);
  return `with ${WANTED}\nselect ${columns.join(',\n')}`;
}

/** One part on its own: its rows as rows. */
export function catalogPartQuery(part: CatalogPart): string {
  return `with ${WANTED}\n${part.query}`;
}

/** The catalogs whose rows go whole into signatures (a part's wholeRow), by name. */
const WHOLE_ROWS = new Map(CATALOG_PARTS.flatMap((part) => (part.wholeRow ? [[part.wholeRow.catalog, part.wholeRow.leftOut] as const] : [])));

/**
 * The columns of the catalogs whose rows go whole into signatures, on this
 * server: `catalog`, `columns` (in order), and which of them are node trees
 * (`node_trees`).
 */
export const CATALOG_COLUMNS = `
select c.relname::text as catalog,
       array_agg(a.attname::text order by a.attnum) as columns,
       array_agg(a.attname::text) filter (where a.atttypid = 'pg_catalog.pg_node_tree'::regtype) as node_trees
from pg_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.oid = any(array[${[...WHOLE_ROWS.keys()].map((name) => `'pg_catalog.${name}'`).join(', ')}]::regclass[])
group by c.relname`;

/** By catalog name: what CATALOG_COLUMNS returns. */
export type CatalogColumns = Record<string, { columns: string[]; nodeTrees: string[] }>;

/**
 * Per wanted schema that exists: its quoted qualifier (`prefix`) and its
 * `signature`, the parts' digests joined (a part without rows adds an empty
 * digest), computed by the server so that a large fleet sends one short row
 * per schema. Equal signatures mean the same rows with one qualifier
 * exchanged for the other, at the same places (introspect.ts checks that the
 * model read holds no qualifier).
 *
 * Schema by schema, in a lateral subquery with its own wanted and rels: the
 * rows of one schema are aggregated as they are read, never sorted with the
 * whole fleet's. `wanted` is the SQL of which schemas, a condition on
 * `n.nspname`: by default the names in `$1` (a text[]); one schema by name
 * (`n.nspname = $1`) is looked up in pg_namespace's index rather than found
 * by a scan of every namespace.
 */
export function signatureQuery(catalogColumns: CatalogColumns, wanted = 'n.nspname = any($1::text[]::name[])'): string {
  // A node tree holds the place of each node in the statement that made it (`:location 123`): the same
  // expression made by another script has other places, so they are left out.
  const column = (catalog: string, alias: string, name: string) =>
    catalogColumns[catalog].nodeTrees.includes(name)
      ? `regexp_replace(${alias}.${quoteIdent(name)}::text, ' :location -?[0-9]+', '', 'g')`
      : `${alias}.${quoteIdent(name)}`;
  const wholeRow = (part: CatalogPart) => (alias: string) => {
    if (!part.wholeRow) throw new Error(`catalog part ${part.name} declares no wholeRow`);
    const { catalog, leftOut } = part.wholeRow;
    return `row(${catalogColumns[catalog].columns
      .filter((name) => !leftOut.includes(name))
      .map((name) => column(catalog, alias, name))
      .join(', ')})`;
  };
  const digests = CATALOG_PARTS.flatMap((part) => (part.digest ? [`coalesce((${part.digest(wholeRow(part))}), '')`] : []));
  return `with fleet as (select n.oid, n.nspname from pg_namespace n where ${wanted})
select o.nspname::text as schema, quote_ident(o.nspname) || '.' as prefix, digest.signature
from fleet o
cross join lateral (
  with wanted as (select o.oid, o.nspname),
  ${RELS}
  select ${digests.join(" || ' ' ||\n  ")} as signature
) digest`;
}
