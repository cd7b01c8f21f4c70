/**
 * A schema of a few thousand models needs more locks than the server's lock
 * table holds, because the desired state is built in one transaction. tm plan
 * said "out of shared memory" with a hint about extensions and PostgreSQL
 * versions; it now names the real cause (max_locks_per_transaction) and the
 * fix. On a throwaway server of its own: filling the lock table would make
 * other sessions on a shared server fail too.
 */
import { expect } from 'chai';
import { startThrowawayServer, type TestServer } from '../harness/postgres.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { faultInjected } from './figures.js';
import { createDatabaseOn, type OwnDatabase } from './support.js';

describe('faults: a schema larger than the server\'s lock table (a dedicated throwaway server)', function () {
  this.timeout(300_000);
  let server: TestServer;
  let db: OwnDatabase | undefined;
  before(async function () {
    this.timeout(120_000);
    server = await startThrowawayServer();
    db = await createDatabaseOn(server.adminUrl, 'tm_locktable');
  });
  after(async () => {
    await db?.drop().catch(() => {});
    server?.stop();
    removeFleetProjects();
  });

  it('tm plan names max_locks_per_transaction and how to raise it, not extensions', async () => {
    const { rows } = await db!.query(
      `select current_setting('max_locks_per_transaction')::int * (current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int) as locks`,
    );
    // Six relations a model (table, primary key, unique index, sequence, TOAST table and index): well past the lock table.
    const models = Math.ceil(rows[0].locks / 3);
    const prisma = Array.from({ length: models }, (_, i) => `model M${i} {\n  id   Int    @id @default(autoincrement())\n  name String @unique\n}\n`).join('\n');
    const project = fleetProject({ tenants: ['tenant_a'], prismaFiles: { 'schema.prisma': `${DATASOURCE_BLOCK}\n${prisma}` } });
    faultInjected('lock table exhausted (a schema of thousands of models)');
    const result = await project.tm(db as any, ['plan', '--no-sql'], { timeoutMs: 240_000 });
    expect(result.code, output(result)).to.equal(1);
    expect(result.stderr).to.match(/^Error: Working out the desired state ran out of the server's lock table \("out of shared memory"\): tm creates Prisma's \d+ tables/m);
    expect(result.stderr).to.match(/max_locks_per_transaction \d+ × \d+ connection slots = \d+ locks/);
    expect(result.stderr).to.match(/^Raise max_locks_per_transaction on the server \(e\.g\. ALTER SYSTEM SET max_locks_per_transaction = \d+, then restart PostgreSQL\)/m);
    expect(result.stderr).to.not.contain('extension');
  });
});
