/**
 * Discovery never makes a tenant of a schema that is not one: PostgreSQL's own
 * (pg_catalog, pg_toast, information_schema), tm's metadata and backup schemas,
 * the extension schema. `discover: ['*']` planned 93 DROP steps in information_schema.
 */
import { expect } from 'chai';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config/tenants.js';
import { tenantSchemas } from '../../src/fleet/tenants.js';
import { useFreshDatabase } from '../harness/database.js';

describe('schemas that are not tenants', () => {
  const db = useFreshDatabase();

  it('discover: [\'*\'] finds the tenants only, not system schemas, tm\'s own or the extension schema', async () => {
    for (const s of ['tenant_a', 'tenant_b', 'tm', 'tm_backup', 'extensions']) await db.query(`create schema ${s}`);
    const database: DatabaseConfig = { name: 'main', urlEnv: 'DATABASE_URL', tenants: [{ schema: 'tenant_a', labels: {} }], discover: ['*'], extensionSchema: 'extensions' };
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // A temporary table makes pg_temp_N and pg_toast_temp_N exist too.
      await client.query('create temporary table scratch(x int)');
      const schemas = await tenantSchemas(client, database, 'tm');
      expect(schemas).to.deep.equal(['tenant_a', 'public', 'tenant_b']);
      const discoverPg = await tenantSchemas(client, { ...database, discover: ['pg_*', 'information_?chema'] }, 'tm');
      expect(discoverPg).to.deep.equal(['tenant_a']);
    } finally {
      await client.end();
    }
  });
});
