/**
 * One tm run at a time per database, through the real binary: a held
 * migration lock makes `tm apply` give up after --lock-wait naming the holder,
 * and two applies of one plan started together never apply a tenant twice.
 */
import { expect } from 'chai';
import pg from 'pg';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, historyRows, output, removeFleetProjects, schemaExists, tablesOf } from '../support/fleet.js';

/** The key src/meta/lock.ts uses: ('tm' as int4 = 0x746d, 1). */
const LOCK_CLASS = 0x746d;
const LOCK_OBJECT = 1;

describe('tm apply and the migration lock (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('gives up after --lock-wait while another session holds the lock, naming its pid; nothing applied', async () => {
    const project = fleetProject({ tenants: ['held_a', 'held_b'] });
    const plan = await project.plan(db, 'held');

    const holder = new pg.Client({ connectionString: db.url, application_name: 'lock holder in a test' });
    await holder.connect();
    try {
      const { rows } = await holder.query('select pg_advisory_lock($1::int, $2::int), pg_backend_pid() as pid', [LOCK_CLASS, LOCK_OBJECT]);
      const pid = rows[0].pid;
      const started = Date.now();
      const result = await project.tm(db, ['apply', '--lock-wait', '1s', plan.path]);
      const seconds = (Date.now() - started) / 1000;
      expect(result.code, output(result)).to.equal(1);
      expect(seconds, 'waited about --lock-wait, not the default 10 s').to.be.lessThan(6);
      expect(result.stderr).to.match(/^Error: Could not acquire migration lock\. Aborting\. Database "main" is locked by pid (\d+) /m);
      expect(result.stderr).to.contain(`pid ${pid} (lock holder in a test, user `);
      expect(result.stderr).to.not.match(/\n\s+at /);
      expect(result.stdout).to.not.match(/✓/);
      expect(await schemaExists(db, 'held_a')).to.equal(false);
      expect(await schemaExists(db, 'held_b')).to.equal(false);
      expect(await historyRows(db, plan.id)).to.deep.equal([]);
    } finally {
      await holder.end();
    }

    // The holder gone, the same plan applies.
    const result = await project.tm(db, ['apply', '--lock-wait', '1s', plan.path]);
    expect(result.code, output(result)).to.equal(0);
    expect(result.stdout).to.contain('Apply complete: 2 applied');
  });

  it('two tm apply of one plan started at once: both succeed, every tenant applied exactly once', async () => {
    const tenants = ['both_a', 'both_b', 'both_c', 'both_d', 'both_e', 'both_f'];
    const project = fleetProject({ tenants });
    const plan = await project.plan(db, 'both');

    const [first, second] = await Promise.all([
      project.tm(db, ['apply', '--lock-wait', '30s', plan.path]),
      project.tm(db, ['apply', '--lock-wait', '30s', plan.path]),
    ]);
    expect(first.code, output(first)).to.equal(0);
    expect(second.code, output(second)).to.equal(0);
    const counts = [first, second].map((r) => {
      const m = /Apply complete: (\d+) applied, (\d+) already applied, 0 stale, 0 failed/.exec(r.stdout);
      expect(m, r.stdout).to.not.equal(null);
      return { applied: Number(m![1]), already: Number(m![2]) };
    });
    expect(counts[0].applied + counts[1].applied, 'each tenant applied by exactly one of the two').to.equal(tenants.length);
    // The lock serialises whole runs: whoever came second found everything done.
    expect(counts.map((c) => c.applied).sort((a, b) => a - b)).to.deep.equal([0, tenants.length]);
    expect(counts.map((c) => c.already).sort((a, b) => a - b)).to.deep.equal([0, tenants.length]);

    const rows = await historyRows(db, plan.id);
    expect(rows.map((r) => r.tenant_schema)).to.deep.equal(tenants);
    for (const t of tenants) expect(await tablesOf(db, t), t).to.include('User');
  });
});
