/**
 * Citus 12 schema-based sharding (see docs/citus.md): each tenant schema is a
 * distributed schema living on one node, and Citus rejects foreign keys that
 * cross schemas. A plan that would need one is refused here, before review,
 * rather than by the coordinator in the middle of an apply.
 */
import type { SchemaModel } from '../catalog/model.js';
import type { Queryable } from '../db/queryable.js';
import { TmError } from '../errors.js';

export async function hasCitus(db: Queryable): Promise<boolean> {
  const { rows } = await db.query(`select exists (select 1 from pg_extension where extname = 'citus') as present`);
  return rows[0].present;
}

/** Foreign keys of the model that reference a table in another schema (`other."Table"`). */
export function crossSchemaForeignKeys(model: SchemaModel): string[] {
  const found: string[] = [];
  for (const [table, t] of Object.entries(model.tables)) {
    for (const [name, c] of Object.entries(t.constraints)) {
      if (c.kind === 'foreign key' && c.references?.includes('.')) found.push(`"${table}"."${name}" → ${c.references}`);
    }
  }
  return found;
}

export function refuseWhatCitusRejects(database: string, desired: SchemaModel): void {
  const crossing = crossSchemaForeignKeys(desired);
  if (crossing.length) {
    throw new TmError(
      `Database "${database}" runs Citus, which rejects foreign keys between distributed schemas; the Prisma schema has ${crossing.length}: ${crossing.slice(0, 3).join(', ')}${crossing.length > 3 ? ', …' : ''}.`,
      'Keep every relation inside the tenant schema (see docs/citus.md).',
    );
  }
}
