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
 *
 * A large fleet is first read as signatures (signatureQuery): one digest per
 * schema of its catalog rows, so that only one schema per state is read row
 * by row.
 */
import { quoteIdent } from '../sql/quote.js';
import { markQualifierOutsideLiteralsSql, markQualifierSql } from './qualifier.js';

/**
 * The wanted schemas, and the relations in them. Relations are found through
 * their dependency on their schema (pg_depend is indexed by referenced
 * object), not by scanning pg_class, which has no index on relnamespace: one
 * schema's introspection then costs index lookups, not a scan of every
 * tenant's tables.
 *
 * Partitions are left out: they belong to their parent (a partitioned
 * table, relkind 'p', which is a table of the model like any other), come
 * and go at run time (a retention job attaches and drops them), and take
 * every column, constraint and index from it. So a tenant's model and
 * signature do not change with its partitions.
 */
const RELS = `rels as (
  select c.oid, c.relname, c.relkind, w.nspname
  from wanted w
  join pg_depend dep on dep.refclassid = 'pg_namespace'::regclass and dep.refobjid = w.oid
                    and dep.classid = 'pg_class'::regclass and dep.objsubid = 0 and dep.deptype = 'n'
  join pg_class c on c.oid = dep.objid
  where not c.relispartition
)`;
const WANTED = `wanted as (select n.oid, n.nspname from pg_namespace n where n.nspname = any($1::text[]::name[])),\n${RELS}`;

const EXISTING_SCHEMAS = `
select w.nspname::text as schema
from wanted w`;

/** Schemas whose name matches one of the LIKE patterns in $1, minus those in $2. */
export const MATCHING_SCHEMAS = `
select n.nspname::text as schema
from pg_namespace n
where n.nspname like any($1::text[])
  and not n.nspname = any($2::text[])
  -- PostgreSQL's own schemas are never tenants, whatever the pattern (discover: ['*']).
  and left(n.nspname, 3) <> 'pg_' and n.nspname <> 'information_schema'
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
order by c.oid, a.attnum`;

/**
 * Primary key, unique, check, foreign-key and exclusion constraints (NOT
 * NULL, PostgreSQL 18's contype 'n', is a column property). Those with a
 * parent constraint are part of it: a foreign key to a partitioned table has
 * one more row per partition of that table, on the referencing table.
 */
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
where c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'c', 'f', 'x') and con.conparentid = 0`;

/**
 * Indexes that do not back a primary key, unique or exclusion constraint
 * (those belong to the constraint). On a partitioned table PostgreSQL prints
 * `ON ONLY "t"`, a statement that would build the parent's index alone; the
 * index is the one `CREATE INDEX ON "t"` makes, which builds it on every
 * partition too (and is what Prisma's SQL says), so it is printed that way.
 */
const INDEXES = `
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

/** A printed text with the schema's own qualifier replaced by a marker (outside string literals: see qualifier.ts). */
const withoutOwnQualifier = (text: string) => markQualifierSql(text, `quote_ident(o.nspname) || '.'`);
const withoutOwnQualifierOutsideLiterals = (text: string) => markQualifierOutsideLiteralsSql(text, `(quote_ident(o.nspname) || '.')`);

/**
 * Per part, an md5 of what that part's rows of one schema are made of (the
 * schema `o`, its relations in `rels`), read from raw catalog columns where
 * printing would cost the server most (a fleet's first printing of each
 * object misses every catalog cache).
 *
 * Each digest must determine the part's rows but for the schema's own name:
 * two schemas with equal digests must print the same definitions. So objects
 * are named, not numbered, where they belong to the schema; a built-in or
 * shared object may be an OID (the same OID is the same object in one
 * database); a node tree (defaults, check constraints, index expressions)
 * may be raw text, as it names objects by OID; and a text PostgreSQL printed
 * goes through withoutOwnQualifier. Rows of pg_constraint, pg_index and
 * pg_sequence go in whole, less the OIDs of their own objects (see
 * WHOLE_ROWS), so that a column a later PostgreSQL adds is part of the digest
 * without anyone remembering to add it.
 *
 * A digest may differ for schemas whose rows are the same (a column added
 * later has another attribute number, an index was clustered): that only
 * reads one more schema in full. Rows are taken in the order of their names,
 * so that tenants made by other paths to one state still share a digest.
 */
const partDigests = (whole: (catalog: WholeRowCatalog, alias: string) => string): Record<Exclude<CatalogPart, 'schemas'>, string> => ({
  // format_type is printed for other than built-in types (OIDs from 16384 on), which may be the schema's own enums.
  columns: `select md5(string_agg(row(
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
  // A key's printed definition also shows its index's options (INCLUDE, WITH, tablespace): they are in the indexes digest.
  constraints: `select md5(string_agg(row(
      c.relname,
      ${whole('pg_constraint', 'con')},
      (select case when fc.relnamespace = o.oid then fc.relname::text else fc.oid::text end from pg_class fc where fc.oid = con.confrelid)
    )::text, '' order by c.relname collate "C", con.conname collate "C"))
    from rels c
    join pg_constraint con on con.conrelid = c.oid
    where c.relkind in ('r', 'p') and con.contype in ('p', 'u', 'c', 'f', 'x') and con.conparentid = 0`,
  // Every index, also those of keys: a key's index has the key's name (PostgreSQL renames them together), so
  // which index belongs to which key follows from the names. pg_get_indexdef prints the access method and the
  // storage options; a key's definition, its tablespace too. (The table's kind is in too, though its index
  // prints the same whether the table is partitioned or not: a finer digest only reads one more schema.)
  indexes: `select md5(string_agg(row(
      c.relname, c.relkind, ic.relname, ic.relam, ic.reloptions, ic.reltablespace, ${whole('pg_index', 'i')},
      -- Operator class options (siglen=…) are kept with the index's own columns, not in pg_index.
      (select array_agg(ia.attoptions order by ia.attnum) from pg_attribute ia where ia.attrelid = i.indexrelid and ia.attoptions is not null)
    )::text, '' order by c.relname collate "C", ic.relname collate "C"))
    from rels c
    join pg_index i on i.indrelid = c.oid
    join pg_class ic on ic.oid = i.indexrelid
    where c.relkind in ('r', 'p')`,
  enums: `select md5(string_agg(row(x.name, x.values)::text, '' order by x.name collate "C")) from (${ENUMS}) x`,
  sequences: `select md5(string_agg(row(
      c.relname, ${whole('pg_sequence', 's')}, dep.deptype,
      case when tc.relnamespace = o.oid then tc.relname end,
      case when tc.relnamespace = o.oid then dep.refobjsubid end
    )::text, '' order by c.relname collate "C"))
    from rels c
    join pg_sequence s on s.seqrelid = c.oid
    left join pg_depend dep on dep.classid = 'pg_class'::regclass and dep.objid = c.oid
                           and dep.refclassid = 'pg_class'::regclass and dep.deptype in ('a', 'i')
    left join pg_class tc on tc.oid = dep.refobjid`,
  views: `select md5(string_agg(row(x.name, x.materialized, ${withoutOwnQualifierOutsideLiterals('x.definition')})::text, '' order by x.name collate "C"))
    from (${VIEWS}) x`,
});

/**
 * Catalogs whose rows go whole into signatures, and the columns left out:
 * those holding the OIDs of the row's own objects, which differ from tenant
 * to tenant (what they point to is in the digest by name).
 */
const WHOLE_ROWS = {
  pg_constraint: ['oid', 'connamespace', 'conrelid', 'conindid', 'conparentid', 'confrelid', 'contypid'],
  pg_index: ['indexrelid', 'indrelid'],
  pg_sequence: ['seqrelid'],
};
export type WholeRowCatalog = keyof typeof WHOLE_ROWS;

/**
 * The columns of the WHOLE_ROWS catalogs on this server: `catalog`,
 * `columns` (in order), and which of them are node trees (`node_trees`).
 */
export const CATALOG_COLUMNS = `
select c.relname::text as catalog,
       array_agg(a.attname::text order by a.attnum) as columns,
       array_agg(a.attname::text) filter (where a.atttypid = 'pg_catalog.pg_node_tree'::regtype) as node_trees
from pg_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.oid = any(array[${Object.keys(WHOLE_ROWS).map((name) => `'pg_catalog.${name}'`).join(', ')}]::regclass[])
group by c.relname`;

export type CatalogColumns = Record<WholeRowCatalog, { columns: string[]; nodeTrees: string[] }>;

/**
 * Per wanted schema that exists: its quoted qualifier (`prefix`) and its
 * `signature`, the digests of partDigests joined (a part without rows adds an
 * empty digest), computed by the server so that a large fleet sends one short
 * row per schema. Equal signatures mean the same rows with one qualifier
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
  const column = (catalog: WholeRowCatalog, alias: string, name: string) =>
    catalogColumns[catalog].nodeTrees.includes(name)
      ? `regexp_replace(${alias}.${quoteIdent(name)}::text, ' :location -?[0-9]+', '', 'g')`
      : `${alias}.${quoteIdent(name)}`;
  const whole = (catalog: WholeRowCatalog, alias: string) =>
    `row(${catalogColumns[catalog].columns
      .filter((name) => !WHOLE_ROWS[catalog].includes(name))
      .map((name) => column(catalog, alias, name))
      .join(', ')})`;
  const digestOf = partDigests(whole);
  const digests = Object.values(digestOf).map((digest) => `coalesce((${digest}), '')`);
  return `with fleet as (select n.oid, n.nspname from pg_namespace n where ${wanted})
select o.nspname::text as schema, quote_ident(o.nspname) || '.' as prefix, digest.signature
from fleet o
cross join lateral (
  with wanted as (select o.oid, o.nspname),
  ${RELS}
  select ${digests.join(" || ' ' ||\n  ")} as signature
) digest`;
}
