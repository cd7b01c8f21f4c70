/**
 * Another session holds ACCESS EXCLUSIVE on a tenant table (a migration, a
 * pg_dump): tm plan and tm status waited as long as it lasted. They now give
 * up after the lock timeout, naming the session and the tenant; with
 * --skip-unreachable tm plan plans the other tenants and lists that one as
 * not planned.
 */
import { expect } from 'chai';
import pg from 'pg';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects } from '../support/fleet.js';

describe('a tenant table locked by another session', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('stops plan and status at the lock timeout, naming the session; --skip-unreachable plans the others', async () => {
    const project = fleetProject({ tenants: ['tenant_a', 'tenant_b'] });
    const plan = await project.plan(db, 'initial');
    expect((await project.tm(db, ['apply', plan.path])).code).to.equal(0);

    const holder = new pg.Client({ connectionString: db.url, application_name: 'nightly dump' });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE tenant_a."User" IN ACCESS EXCLUSIVE MODE');
      const pid = (await holder.query('select pg_backend_pid() as pid')).rows[0].pid;

      let started = Date.now();
      const blocked = await project.tm(db, ['plan', '--no-sql', '--lock-timeout', '1s'], { timeoutMs: 60_000 });
      expect(Date.now() - started).to.be.below(15_000);
      expect(blocked.code, output(blocked)).to.equal(1);
      expect(blocked.stderr).to.not.contain('unexpected error');
      expect(blocked.stderr).to.match(/^Error: Database "main": Could not read the catalog of tenant tenant_a within the lock timeout \(1s\)/m);
      expect(blocked.stderr).to.contain(`pid ${pid} (application "nightly dump", holding AccessExclusiveLock on tenant_a."User"`);

      const skipped = await project.tm(db, ['plan', '--no-sql', '--lock-timeout', '1s', '--skip-unreachable'], { timeoutMs: 60_000 });
      expect(skipped.code, output(skipped)).to.equal(0);
      expect(skipped.stdout).to.match(new RegExp(`^! Not planned: .*pid ${pid} .*tenant_a$`, 'm'));
      expect(skipped.stdout).to.contain('1 schema already match');

      started = Date.now();
      const status = await project.tm(db, ['status'], { timeoutMs: 60_000 });
      expect(Date.now() - started).to.be.below(20_000);
      expect(status.code, output(status)).to.equal(1);
      expect(status.stderr).to.contain(`pid ${pid} (application "nightly dump"`);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  });
});
