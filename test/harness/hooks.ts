/**
 * Mocha global fixtures: one PostgreSQL server for the whole run (see
 * postgres.ts), and a fresh database per test file (see database.ts).
 */
import { startThrowawayServer, type TestServer } from './postgres.js';

let server: TestServer | null = null;

export async function mochaGlobalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.TM_TEST_ADMIN_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  server = await startThrowawayServer();
  process.env.TM_TEST_ADMIN_URL = server.adminUrl;
  process.on('exit', () => server?.stop());
}

export async function mochaGlobalTeardown(): Promise<void> {
  server?.stop();
  server = null;
}
