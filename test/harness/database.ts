/**
 * Each test file gets its own fresh database on the test server:
 *
 *   const db = useFreshDatabase();
 *   it('…', async () => { await db.query('select 1') });
 *
 * The database is created in a `before` hook and dropped in `after`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface FreshDatabase {
  /** Connection string of the fresh database. */
  readonly url: string;
  readonly name: string;
  query<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

export function adminUrl(): string {
  const url = process.env.TM_TEST_ADMIN_URL;
  if (!url) throw new Error('The test server is not running: run the tests through mocha (npm test).');
  return url;
}

export function urlForDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = '/' + encodeURIComponent(database);
  return url.toString();
}

export async function createDatabase(prefix = 'tm_test'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return { name, url: urlForDatabase(adminUrl(), name) };
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export function useFreshDatabase(prefix = 'tm_test'): FreshDatabase {
  let name = '';
  let url = '';
  let pool: pg.Pool | null = null;
  before(async function () {
    this.timeout(30_000);
    ({ name, url } = await createDatabase(prefix));
    pool = new pg.Pool({ connectionString: url, max: 4 });
    // pool.end() returns before its idle clients' sockets have closed, and DROP DATABASE … WITH (FORCE)
    // then terminates them: without a listener, that 'error' event would crash the whole mocha run.
    pool.on('error', () => {});
  });
  after(async function () {
    this.timeout(30_000);
    await pool?.end();
    if (name) await dropDatabase(name);
  });
  return {
    get url() {
      return url;
    },
    get name() {
      return name;
    },
    query(sql, params) {
      if (!pool) throw new Error('useFreshDatabase(): the database is created in a before hook; query it inside tests.');
      return pool.query(sql, params as any[]);
    },
  };
}
