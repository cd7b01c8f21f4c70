/**
 * Extensions: installed once per database, in a schema shared by its tenants
 * (public unless tenants.yaml's `extensionSchema` or the datasource's
 * `citext(schema: "…")` says otherwise), never in a tenant schema.
 *
 * Prisma renders the datasource's `extensions = [...]` as
 * `CREATE EXTENSION IF NOT EXISTS "citext" [WITH SCHEMA "s"] [VERSION "v"]`
 * at the head of its SQL; without a schema it would create the extension in
 * whichever schema comes first on search_path, a tenant's. tm takes those
 * statements out of Prisma's SQL and plans, per database, one
 * `CREATE EXTENSION IF NOT EXISTS … SCHEMA …` for each extension the database
 * lacks, which apply runs under the migration lock before the tenants.
 *
 * The same statements run first in the desired state's scratch transaction,
 * with the extension schemas after the scratch schema on its search_path, so
 * that Prisma's unqualified `CITEXT` or `gin_trgm_ops` find them there as
 * they will on the tenants. The catalog is read with search_path pg_catalog,
 * so such a type or operator class prints qualified (`public.citext`) for the
 * scratch schema and every tenant alike.
 */
import { makeStep, type Step } from '../diff/step.js';
import { ref } from '../catalog/objectRef.js';
import type { Queryable } from '../db/queryable.js';
import { TmError } from '../errors.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';

/** An extension the datasource lists. */
export interface ListedExtension {
  name: string;
  /** The datasource's `schema:` for it, else null (the database's extensionSchema). */
  schema: string | null;
  version: string | null;
}

/** Prisma's rendering of one `extensions = [...]` entry. */
const CREATE_EXTENSION = /^CREATE EXTENSION IF NOT EXISTS "([^"]+)"(?: WITH SCHEMA "([^"]+)")?(?: VERSION "([^"]+)")?$/;

/** Prisma's statements split into the extensions they create and the rest, in order. */
export function takeExtensions(statements: string[]): { extensions: ListedExtension[]; rest: string[] } {
  const extensions: ListedExtension[] = [];
  const rest: string[] = [];
  for (const statement of statements) {
    const m = CREATE_EXTENSION.exec(statement);
    if (m) extensions.push({ name: m[1], schema: m[2] ?? null, version: m[3] ?? null });
    else rest.push(statement);
  }
  return { extensions, rest };
}

/** Installed extensions of the database, by name: the schema each lives in. */
async function installedExtensions(db: Queryable): Promise<Map<string, string>> {
  const { rows } = await db.query(`select e.extname::text as name, n.nspname::text as schema from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace`);
  return new Map(rows.map((r) => [r.name, r.schema]));
}

async function existingSchemas(db: Queryable, names: string[]): Promise<Set<string>> {
  const { rows } = await db.query(`select nspname::text as name from pg_catalog.pg_namespace where nspname = any($1::text[])`, [names]);
  return new Set(rows.map((r) => r.name));
}

/**
 * The statements that give the database the extensions the datasource lists
 * (the schema they go in first, when it does not exist): none when it has
 * them all. An extension installed in another schema than the one named is
 * refused: its types would print with that schema, and moving it is the
 * user's decision.
 */
export async function extensionSteps(db: Queryable, listed: ListedExtension[], extensionSchema: string): Promise<Step[]> {
  if (listed.length === 0) return [];
  const installed = await installedExtensions(db);
  const missing: { name: string; schema: string; version: string | null }[] = [];
  for (const extension of listed) {
    const schema = extension.schema ?? extensionSchema;
    const at = installed.get(extension.name);
    if (at === undefined) missing.push({ name: extension.name, schema, version: extension.version });
    else if (at !== schema) {
      throw new TmError(
        `Extension "${extension.name}" is installed in schema "${at}" of this database, not in "${schema}" where ${extension.schema ? 'the datasource' : 'tenants.yaml (extensionSchema, default public)'} puts it.`,
        `Set extensionSchema: ${at} for this database in tenants.yaml, or name the schema in the datasource (${extension.name}(schema: "${at}")), or move the extension (ALTER EXTENSION "${extension.name}" SET SCHEMA …).`,
      );
    }
  }
  const schemas = [...new Set(missing.map((m) => m.schema))];
  const present = await existingSchemas(db, schemas);
  return [
    ...schemas
      .filter((s) => !present.has(s))
      .map((s) => makeStep('create', ref.schema(s), `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(s)}`)),
    ...missing.map(
      (m) =>
        makeStep(
          'create',
          ref.extension(m.name),
          `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(m.name)} SCHEMA ${quoteIdent(m.schema)}${m.version ? ` VERSION ${quoteLiteral(m.version)}` : ''}`,
        ),
    ),
  ];
}

/** The schemas extension objects are looked up in, after the scratch or tenant schema: the database's, then any the datasource names. */
export function extensionSearchPath(listed: ListedExtension[], extensionSchema: string): string[] {
  return [...new Set([extensionSchema, ...listed.flatMap((e) => (e.schema ? [e.schema] : []))])];
}
