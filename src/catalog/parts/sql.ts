/**
 * SQL every catalog part selects over: the wanted schemas and the relations
 * in them, and how a printed text is compared across schemas in a signature.
 *
 * Part queries take the wanted schema names as `$1::text[]` and return rows
 * for all of them at once: planning a fleet costs a fixed number of round
 * trips per database, whatever the number of tenants.
 *
 * Expressions are printed by PostgreSQL itself (format_type, pg_get_expr,
 * pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef) while search_path is
 * pg_catalog only, so references to objects of a tenant schema always come out
 * qualified with that schema's name, which the parts then remove.
 * `schema_prefix` (quote_ident(schema) || '.') is returned for that purpose.
 */
import { markQualifierOutsideLiteralsSql, markQualifierSql } from '../qualifier.js';

/**
 * The relations of the schemas in `wanted`. Relations are found through
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
 *
 * So is `_prisma_migrations`, the table in which `prisma migrate deploy`
 * records what it applied to a schema: it is Prisma's bookkeeping, not part
 * of what the schema describes (Prisma's own diff leaves it out too), so a
 * fleet that Prisma migrated until now is not planned to lose it, and tm never
 * changes it.
 */
export const RELS = `rels as (
  select c.oid, c.relname, c.relkind, w.nspname
  from wanted w
  join pg_depend dep on dep.refclassid = 'pg_namespace'::regclass and dep.refobjid = w.oid
                    and dep.classid = 'pg_class'::regclass and dep.objsubid = 0 and dep.deptype = 'n'
  join pg_class c on c.oid = dep.objid
  where not c.relispartition
    and not (c.relkind = 'r' and c.relname = '_prisma_migrations')
)`;

/** `wanted` (the schemas named in `$1` that exist: oid, nspname) and `rels`, for a WITH clause. */
export const WANTED = `wanted as (select n.oid, n.nspname from pg_namespace n where n.nspname = any($1::text[]::name[])),\n${RELS}`;

/**
 * In a signature digest (schema `o`): a text PostgreSQL printed with the
 * schema's own qualifier replaced by a marker, so that two schemas in one
 * state digest it alike (see qualifier.ts).
 */
export const withoutOwnQualifier = (text: string) => markQualifierSql(text, `quote_ident(o.nspname) || '.'`);

/** The same, outside string literals only (a default's or a view's text: see qualifier.ts). */
export const withoutOwnQualifierOutsideLiterals = (text: string) => markQualifierOutsideLiteralsSql(text, `(quote_ident(o.nspname) || '.')`);
