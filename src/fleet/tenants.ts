/**
 * Which schemas of a database are its tenants: those tenants.yaml lists, plus
 * those its discovery patterns find, narrowed by --schema.
 */
import { discoverSchemas } from '../catalog/introspect.js';
import { globToRegExp, notTenantSchemas, type DatabaseConfig } from '../config/tenants.js';
import { DESIRED_SCHEMA_PREFIX } from '../config/tmSchemas.js';
import type { Queryable } from '../db/queryable.js';
import { TmError } from '../errors.js';

/**
 * Listed tenants plus those discovery patterns find. Discovery leaves out what
 * is never a tenant (tm's own schemas, the extension schema, PostgreSQL's own
 * schemas, the desired-state scratch schemas); tenants.yaml refuses them listed.
 */
export async function tenantSchemas(db: Queryable, database: DatabaseConfig, metadataSchema: string): Promise<string[]> {
  const listed = database.tenants.map((t) => t.schema);
  const found = await discoverSchemas(db, database.discover, [...listed, ...notTenantSchemas(metadataSchema, database)]);
  return [...listed, ...found.filter((s) => !s.startsWith(DESIRED_SCHEMA_PREFIX))];
}

/** Whether tenants.yaml makes a tenant of the schema on this database: listed, or matched by a discovery pattern. */
export function isConfiguredTenant(database: DatabaseConfig, schema: string): boolean {
  return database.tenants.some((t) => t.schema === schema) || database.discover.some((p) => globToRegExp(p).test(schema));
}

/** Keeps the wanted schemas (--schema); a wanted schema that no database has is an error. */
export function filterSchemas(perDatabase: { database: string; schemas: string[] }[], wanted: string[]): void {
  if (wanted.length === 0) return;
  const known = new Set(perDatabase.flatMap((d) => d.schemas));
  const unknown = wanted.filter((s) => !known.has(s));
  if (unknown.length) {
    throw new TmError(
      `Not a tenant in tenants.yaml (listed or discovered): ${unknown.join(', ')}.`,
      'Add it to tenants.yaml (tenants: or discover:) first.',
    );
  }
  for (const d of perDatabase) d.schemas = d.schemas.filter((s) => wanted.includes(s));
}
