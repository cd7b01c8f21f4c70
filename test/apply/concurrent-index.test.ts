/**
 * Non-transactional steps: `tm plan --concurrent-indexes` builds indexes on
 * existing tables with CREATE INDEX CONCURRENTLY after each tenant's
 * transaction; a build that fails leaves the tenant between the two, and
 * re-running the same plan drops the invalid index and finishes.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';

describe('concurrent index builds after the tenant transaction (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('builds them outside the transaction, records them separately, and resumes after a failed build', async () => {
    const project = fleetProject({ tenants: ['ci_a', 'ci_b'], discover: [] });
    const base = await project.plan(db, 'base', 2);
    expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);
    // Two users with the same name in ci_b: a unique index on name cannot be built there.
    await db.query(`insert into ci_a."User"(email, name) values ('a@x', 'Ann'), ('b@x', 'Bob')`);
    await db.query(`insert into ci_b."User"(email, name) values ('a@x', 'Same'), ('b@x', 'Same')`);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?', '  name      String? @unique'));
    const run = await project.tm(db, ['plan', '--no-sql', '--concurrent-indexes', '--name', 'uniq_name', '-o', 'uniq.plan.json']);
    expect(run.code, output(run)).to.equal(0);
    expect(run.stdout).to.contain('NON_TRANSACTIONAL');
    const plan = JSON.parse((await import('node:fs')).readFileSync(`${project.dir}/uniq.plan.json`, 'utf8'));
    const step = plan.cohorts[0].steps.find((s: any) => s.object === 'index "User_name_key"');
    expect(step).to.include({ transactional: false, sql: 'CREATE UNIQUE INDEX CONCURRENTLY "User_name_key" ON "User" USING btree (name)' });
    expect(plan.cohorts[0].midFingerprint).to.match(/^[0-9a-f]{64}$/);

    const first = await project.tm(db, ['apply', `${project.dir}/uniq.plan.json`]);
    expect(first.code, output(first)).to.equal(1);
    expect(first.stdout).to.contain('✓ main/ci_a: applied');
    expect(first.stdout).to.match(/✗ main\/ci_b: failed.*could not create unique index "User_name_key"/);
    const rows = async () =>
      (await db.query(`select tenant_schema, deferred_statements, completed_at is not null as done from tm.history where plan_id = $1 order by 1`, [plan.id])).rows;
    expect(await rows()).to.deep.equal([
      { tenant_schema: 'ci_a', deferred_statements: [step.sql], done: true },
      { tenant_schema: 'ci_b', deferred_statements: [step.sql], done: false },
    ]);
    const invalid = await db.query(`select indisvalid from pg_index where indexrelid = 'ci_b."User_name_key"'::regclass`);
    expect(invalid.rows).to.deep.equal([{ indisvalid: false }]);

    await db.query(`update ci_b."User" set name = email`);
    const second = await project.tm(db, ['apply', `${project.dir}/uniq.plan.json`]);
    expect(second.code, output(second)).to.equal(0);
    expect(second.stdout).to.match(/1 applied, 1 already applied/);
    expect((await rows()).map((r: any) => r.done)).to.deep.equal([true, true]);
    const valid = await db.query(`select indisvalid from pg_index where indexrelid = 'ci_b."User_name_key"'::regclass`);
    expect(valid.rows).to.deep.equal([{ indisvalid: true }]);
    const again = await project.tm(db, ['plan', '--no-sql', '--detailed-exitcode']);
    expect(again.code, output(again)).to.equal(0);
  });
});
