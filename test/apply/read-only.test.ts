/**
 * A read-only database (`default_transaction_read_only = on`: a replica's
 * setting, a maintenance window). plan, status and drift ended in "unexpected
 * error (a bug in tm)" and a stack trace; they only read (their scratch work is
 * rolled back), so they work. tm apply says the database is read-only and what
 * to do, before it changes anything.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects } from '../support/fleet.js';

describe('a read-only database', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('is planned, shown by status and checked for drift; apply refuses it clearly and changes nothing', async () => {
    const project = fleetProject({ tenants: ['tenant_a'] });
    // A plan made while the database accepted writes, applied during the read-only window.
    const plan = await project.plan(db, 'initial');
    await db.query(`alter database "${db.name}" set default_transaction_read_only = on`);

    const replanned = await project.tm(db, ['plan', '--detailed-exitcode', '--no-sql', '--name', 'again']);
    expect(replanned.code, output(replanned)).to.equal(2);
    expect(replanned.stdout).to.match(/^Plan: 1 schema to change \(1 new\)/m);

    const status = await project.tm(db, ['status']);
    expect(status.code, output(status)).to.equal(0);
    expect(status.stdout).to.match(/^tenant_a\s+0\s.*not created$/m);

    const drift = await project.tm(db, ['drift']);
    expect(output(drift)).to.not.contain('unexpected error');
    expect(drift.stdout).to.contain('not created');

    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(1);
    expect(apply.stderr).to.not.match(/unexpected error|\n\s+at /);
    expect(apply.stderr).to.match(/^Error: Cannot apply the plan on database "main": the database is read-only \(default_transaction_read_only = on/m);
    expect(apply.stderr).to.contain('ALTER DATABASE');

    await db.query(`alter database "${db.name}" set default_transaction_read_only = off`);
    const { rows } = await db.query(`select count(*)::int as n from pg_namespace where nspname in ('tenant_a', 'tm')`);
    expect(rows[0].n).to.equal(0);
  });
});
