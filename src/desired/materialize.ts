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
import { splitStatements } from '../sql/split.js';

/** What Prisma renders for an empty schema: types, tables, indexes, constraints, sequences, extensions, comments. */
const EXPECTED = /^(CREATE\s+(TABLE|TYPE|(UNIQUE\s+)?INDEX|SEQUENCE|EXTENSION)|ALTER\s+(TABLE|TYPE|SEQUENCE)|COMMENT\s+ON)\b/i;

/**
 * Prisma's SQL, one statement at a time, each one of the kinds Prisma
 * renders. Prisma does not escape a double quote in a name (@map, @@map,
 * map:) nor a single quote in an enum value, so such a schema could end the
 * scratch transaction (COMMIT) and run anything after it: each statement is
 * checked here and sent over the extended protocol, where the server refuses
 * a string that holds more than one statement.
 */
export function scratchStatements(createSql: string): string[] {
  const statements = splitStatements(createSql);
  const unexpected = statements.find((s) => !EXPECTED.test(s));
  if (unexpected) {
    const shown = unexpected.replace(/\s+/g, ' ').slice(0, 80);
    throw new TmError(
      `The SQL Prisma renders for this schema has a statement tm will not run: "${shown}${unexpected.length > 80 ? '…' : ''}"`,
      'Look for a quote that ends Prisma\'s quoting early: in a name (@map, @@map, map:), an enum value or a dbgenerated() default.',
    );
  }
  return statements;
}

export async function materializeDesired(client: pg.ClientBase, createSql: string): Promise<SchemaModel> {
  const scratch = `tm_desired_${randomBytes(6).toString('hex')}`;
  await client.query('BEGIN');
  try {
    await client.query(`CREATE SCHEMA ${quoteIdent(scratch)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(scratch)}`);
    try {
      for (const statement of scratchStatements(createSql)) await client.query({ text: statement, queryMode: 'extended' } as pg.QueryConfig);
    } catch (error) {
      if (error instanceof TmError) throw error;
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
