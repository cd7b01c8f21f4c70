/** Test helpers that put real schemas into the test database. */
import pg from 'pg';
import { introspectSnapshot } from '../../src/catalog/introspect.js';
import { emptySchemaModel, type SchemaModel } from '../../src/catalog/model.js';
import { desiredState } from '../../src/desired/index.js';
import { diffSchemas } from '../../src/diff/diff.js';
import type { Step } from '../../src/diff/step.js';
import { quoteIdent } from '../../src/sql/quote.js';

export const DATASOURCE = `datasource db {\n  provider = "postgresql"\n}\n`;

export async function desiredModel(url: string, prisma: string): Promise<SchemaModel> {
  return (await desiredState([{ path: 'schema.prisma', content: DATASOURCE + prisma }], url)).model;
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs steps in one transaction with search_path set to the schema (creating it first when asked). */
export async function runSteps(url: string, schema: string, steps: Step[], createSchema = false): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('BEGIN');
    try {
      if (createSchema) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      for (const s of steps) await client.query(s.sql);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}

export async function introspectOne(url: string, schema: string): Promise<SchemaModel | undefined> {
  return withClient(url, async (client) => (await introspectSnapshot(client, [schema])).get(schema));
}

/** Creates a tenant schema in the state the model describes. */
export async function createTenant(url: string, schema: string, model: SchemaModel): Promise<void> {
  await runSteps(url, schema, diffSchemas(emptySchemaModel(), model), true);
}
