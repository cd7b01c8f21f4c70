/**
 * Every catalog query tm runs, in one place. Each takes the wanted schema
 * names as `$1::text[]` and returns rows for all of them at once: planning a
 * fleet costs a fixed number of round trips per database, whatever the number
 * of tenants.
 *
 * Expressions are printed by PostgreSQL itself (format_type, pg_get_expr,
 * pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef) while search_path is
 * pg_catalog only, so references to objects of a tenant schema always come out
 * qualified with that schema's name, which introspect.ts then removes.
 * `schema_prefix` (quote_ident(schema) || '.') is returned for that purpose.
 *
 * Constraints and indexes return their columns as attribute numbers, named
 * from the COLUMNS rows in introspect.ts: a per-row subquery costs more than
 * the rest of those queries together.
 */

/**
 * The wanted schemas, and the relations in them. Relations are found through
 * their dependency on their schema (pg_depend is indexed by referenced
 * object), not by scanning pg_class, which has no index on relnamespace: one
 * schema's introspection then costs index lookups, not a scan of every
 * tenant's tables.
 */
const WANTED = `wanted as (select n.oid, n.nspname from pg_namespace n where n.nspname = any($1::text[]::name[])),
rels as (
  select c.oid, c.relname, c.relkind, w.nspname
  from wanted w
  join pg_depend dep on dep.refclassid = 'pg_namespace'::regclass and dep.refobjid = w.oid
                    and dep.classid = 'pg_class'::regclass and dep.objsubid = 0 and dep.deptype = 'n'
  join pg_class c on c.oid = dep.objid
)`;

const EXISTING_SCHEMAS = `
select w.nspname::text as schema
from wanted w`;

/** Schemas whose name matches one of the LIKE patterns in $1, minus those in $2. */
export const MATCHING_SCHEMAS = `
select n.nspname::text as schema
from pg_namespace n
where n.nspname like any($1::text[])
  and not n.nspname = any($2::text[])
order by 1`;

/** Tables with their columns; a table without columns yields one row with null column fields. */
const COLUMNS = `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as table,
       a.attname::text as column,
       a.attnum as column_number,
       format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null,
       pg_get_expr(d.adbin, d.adrelid) as default_expr,
       a.attidentity::text as identity,
       a.attgenerated::text as generated,
       case when a.attcollation <> 0 and a.attcollation <> t.typcollation then quote_ident(coll.collname) end as collation
from rels c
left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
left join pg_type t on t.oid = a.atttypid
left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
left join pg_collation coll on coll.oid = a.attcollation
where c.relkind in ('r', 'p')
order by c.oid, a.attnum`;

/** Primary key, unique, check, foreign-key and exclusion constraints (NOT NULL, PostgreSQL 18's contype 'n', is a column property). */
const CONSTRAINTS = `
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
where c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'c', 'f', 'x')`;

/** Indexes that do not back a primary key, unique or exclusion constraint (those belong to the constraint). */
const INDEXES = `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as table,
       ic.relname::text as name,
       i.indisunique as is_unique,
       i.indisvalid as is_valid,
       replace(pg_get_indexdef(i.indexrelid), ' INDEX ' || quote_ident(ic.relname) || ' ON ', ' INDEX ON ') as definition,
       i.indkey::int2[] as column_numbers
from rels c
join pg_index i on i.indrelid = c.oid
join pg_class ic on ic.oid = i.indexrelid
where c.relkind in ('r', 'p')
  and not exists (select 1 from pg_constraint con
                   where con.conindid = i.indexrelid and con.conrelid = i.indrelid and con.contype in ('p', 'u', 'x'))`;

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

/**
 * Sequences. Those behind identity columns (owner_kind 'i') become part of
 * their column in introspect.ts, not sequences of the schema: their options
 * (start, increment, …) are part of the column's definition.
 */
const SEQUENCES = `
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
left join pg_attribute ta on ta.attrelid = dep.refobjid and ta.attnum = dep.refobjsubid`;

const VIEWS = `
select c.nspname::text as schema,
       quote_ident(c.nspname) || '.' as schema_prefix,
       c.relname::text as name,
       c.relkind = 'm' as materialized,
       pg_get_viewdef(c.oid) as definition
from rels c
where c.relkind in ('v', 'm')`;

/** The catalog queries, by the name of the rows they return; each selects over `wanted` and `rels`. */
export const CATALOG_PARTS = {
  schemas: EXISTING_SCHEMAS,
  columns: COLUMNS,
  constraints: CONSTRAINTS,
  indexes: INDEXES,
  enums: ENUMS,
  sequences: SEQUENCES,
  views: VIEWS,
};

export type CatalogPart = keyof typeof CATALOG_PARTS;

/**
 * One statement for several parts: each part's rows as a JSON array in a
 * column of the one row returned. One round trip instead of one per part,
 * which is what the applier's per-tenant checks are made of; JSON also parses
 * faster than rows on the client.
 */
export function catalogQuery(parts: CatalogPart[]): string {
  const columns = parts.map((part) => `(select coalesce(json_agg(x), '[]'::json) from (${CATALOG_PARTS[part]}) x) as ${part}`);
  return `with ${WANTED}\nselect ${columns.join(',\n')}`;
}

/** One part on its own: its rows as rows. */
export function catalogPartQuery(part: CatalogPart): string {
  return `with ${WANTED}\n${CATALOG_PARTS[part]}`;
}
