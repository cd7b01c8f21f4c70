import { expect } from 'chai';
import { useFreshDatabase } from './database.js';

describe('test harness', () => {
  const db = useFreshDatabase();
  it('gives each test file its own empty database on a real PostgreSQL server', async () => {
    const { rows } = await db.query(`select current_database() as name, count(*)::int as schemas
      from pg_namespace where nspname like 'tenant%'`);
    expect(rows[0].name).to.equal(db.name);
    expect(rows[0].schemas).to.equal(0);
  });
});
