/**
 * The desired model: run Prisma's SQL inside a transaction in a scratch
 * schema, introspect it with the very code that introspects tenants, then
 * roll back. Nothing persists, and desired and actual states are normalised
 * by the same PostgreSQL, so they compare equal exactly when a tenant is what
 * Prisma would have created.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { introspectSchemas } from '../catalog/introspect.js';
import type { SchemaModel } from '../catalog/model.js';
import { TmError } from '../errors.js';
import { quoteIdent } from '../sql/quote.js';

export async function materializeDesired(client: pg.ClientBase, createSql: string): Promise<SchemaModel> {
  const scratch = `tm_desired_${randomBytes(6).toString('hex')}`;
  await client.query('BEGIN');
  try {
    await client.query(`CREATE SCHEMA ${quoteIdent(scratch)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(scratch)}`);
    try {
      if (createSql) await client.query(createSql);
    } catch (error) {
      throw new TmError(
        `The SQL Prisma renders for this schema failed on the server: ${(error as Error).message}`,
        'This usually means the schema needs an extension or a PostgreSQL version the server lacks.',
      );
    }
    const models = await introspectSchemas(client, [scratch]);
    return models.get(scratch)!;
  } finally {
    await client.query('ROLLBACK');
  }
}
