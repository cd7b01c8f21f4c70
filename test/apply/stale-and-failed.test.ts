/**
 * What `tm apply` does with one tenant that is not as planned, through the
 * real binary: a schema changed by hand after planning is skipped as stale,
 * a statement PostgreSQL refuses rolls back that tenant only; the rest of the
 * fleet applies either way and the exit code says the run is incomplete.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, historyRows, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';

const NAME_OPTIONAL = 'name      String?';

describe('tm apply with a tenant that is not as planned (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('skips a schema changed by hand since the plan as stale, applies the others, exits 1', async () => {
    const project = fleetProject({ tenants: ['tenant_a', 'tenant_b', 'tenant_c'] });
    const base = await project.plan(db, 'base');
    expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), NAME_OPTIONAL, `${NAME_OPTIONAL}\n  nickname  String?`));
    const plan = await project.plan(db, 'add_nickname', 2);
    expect(plan.json.cohorts).to.have.length(1);
    const expected = plan.json.cohorts[0].beforeFingerprint.slice(0, 12);

    await db.query(`ALTER TABLE tenant_b."User" ADD COLUMN x int`);

    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(1);
    const stale = new RegExp(
      `^  ! main/tenant_b: skipped as stale: tenant_b changed since the plan was made \\(expected ${expected}, found ([0-9a-f]{12})\\): run tm plan again$`,
      'm',
    );
    const match = stale.exec(apply.stdout);
    expect(match, apply.stdout).to.not.equal(null);
    expect(match![1]).to.not.equal(expected);
    expect(apply.stdout).to.contain('✓ main/tenant_a: applied').and.contain('✓ main/tenant_c: applied');
    expect(apply.stdout).to.contain('Apply incomplete: 2 applied, 0 already applied, 1 stale, 0 failed');

    expect(await columnsOf(db, 'tenant_a', 'User')).to.have.property('nickname');
    expect(await columnsOf(db, 'tenant_c', 'User')).to.have.property('nickname');
    const b = await columnsOf(db, 'tenant_b', 'User');
    expect(b).to.have.property('x');
    expect(b).to.not.have.property('nickname');
    expect((await historyRows(db, plan.id)).map((r) => r.tenant_schema)).to.deep.equal(['tenant_a', 'tenant_c']);

    // The same plan again: the two done are skipped, tenant_b is still stale.
    const rerun = await project.tm(db, ['apply', plan.path]);
    expect(rerun.code, output(rerun)).to.equal(1);
    expect(rerun.stdout).to.contain('Apply incomplete: 0 applied, 2 already applied, 1 stale, 0 failed');

    // Planning again puts the drifted tenant in a cohort of its own, flagged for the hand-added column it drops.
    const replan = await project.plan(db, 'after_drift', 3);
    expect(replan.json.cohorts).to.have.length(1);
    expect(replan.json.cohorts[0].tenants).to.deep.equal([{ database: 'main', schema: 'tenant_b' }]);
    expect(replan.json.summary.hazards).to.include('DATA_LOSS');
    expect((await project.tm(db, ['apply', replan.path, '--allow-hazards', 'DATA_LOSS'])).code).to.equal(0);
    expect(await columnsOf(db, 'tenant_b', 'User')).to.have.property('nickname').and.not.have.property('x');
  });

  it('rolls back only the tenant where a statement fails, names it with PostgreSQL’s error, applies the rest, exits 1', async () => {
    const project = fleetProject({ tenants: ['fail_a', 'fail_b', 'fail_c'] });
    const base = await project.plan(db, 'base_fail');
    expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);
    await db.query(`insert into fail_a."User"(email, name) values ('a@example.com', 'Ada')`);
    await db.query(`insert into fail_b."User"(email) values ('nameless@example.com')`); // name is NULL

    // Two changes in one plan: an added column (harmless) and name made required (fails on fail_b's NULL).
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), NAME_OPTIONAL, 'name      String\n  nickname  String?'));
    const plan = await project.plan(db, 'require_name', 3);
    expect(plan.json.summary.hazards).to.include('MAY_FAIL_ON_DATA');

    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(1);
    expect(apply.stdout).to.match(/^  ✗ main\/fail_b: failed, rolled back: fail_b: column "name" of relation "User" contains null values$/m);
    expect(apply.stdout).to.contain('✓ main/fail_a: applied').and.contain('✓ main/fail_c: applied');
    expect(apply.stdout).to.contain('Apply incomplete: 2 applied, 0 already applied, 0 stale, 1 failed');

    // fail_b is wholly as before: neither change, its row intact; the others have both.
    const b = await columnsOf(db, 'fail_b', 'User');
    expect(b.name.nullable).to.equal(true);
    expect(b).to.not.have.property('nickname');
    expect((await db.query(`select email, name from fail_b."User"`)).rows).to.deep.equal([{ email: 'nameless@example.com', name: null }]);
    for (const t of ['fail_a', 'fail_c']) {
      const cols = await columnsOf(db, t, 'User');
      expect(cols.name.nullable, t).to.equal(false);
      expect(cols, t).to.have.property('nickname');
    }
    expect((await historyRows(db, plan.id)).map((r) => r.tenant_schema)).to.deep.equal(['fail_a', 'fail_c']);

    // Fix the data and re-run the same plan: it finishes what is left.
    await db.query(`update fail_b."User" set name = 'Named'`);
    const rerun = await project.tm(db, ['apply', plan.path]);
    expect(rerun.code, output(rerun)).to.equal(0);
    expect(rerun.stdout).to.contain('Apply complete: 1 applied, 2 already applied, 0 stale, 0 failed');
    expect((await historyRows(db, plan.id)).map((r) => r.tenant_schema)).to.deep.equal(['fail_a', 'fail_b', 'fail_c']);
  });

  it('refuses to apply a plan again to a tenant it was applied to and rolled back since, before running anything', async () => {
    const project = fleetProject({ tenants: ['again_a', 'again_b'] });
    const base = await project.plan(db, 'base_again');
    expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), NAME_OPTIONAL, `${NAME_OPTIONAL}\n  nickname  String?`));
    const plan = await project.plan(db, 'add_nickname_again', 2);
    expect((await project.tm(db, ['apply', plan.path])).code).to.equal(0);
    const rollback = await project.tm(db, ['rollback', 'add_nickname_again', '--schema', 'again_a', '--force']);
    expect(rollback.code, output(rollback)).to.equal(0);
    expect(await columnsOf(db, 'again_a', 'User')).to.not.have.property('nickname');

    // again_a is in the plan's before-state again, but the plan has been applied to it once: plans are used once.
    const again = await project.tm(db, ['apply', plan.path]);
    expect(again.code, output(again)).to.equal(1);
    expect(again.stdout).to.match(
      /^  ! main\/again_a: skipped as stale: again_a was changed by this plan on \d{4}-\d\d-\d\d \d\d:\d\d UTC and rolled back since; a plan is applied once: run tm plan again$/m,
    );
    expect(again.stdout).to.contain('Apply incomplete: 0 applied, 1 already applied, 1 stale, 0 failed');
    expect(await columnsOf(db, 'again_a', 'User')).to.not.have.property('nickname');
    expect((await historyRows(db, plan.id)).map((r) => r.tenant_schema)).to.deep.equal(['again_a', 'again_b']);

    // A new plan brings it forward.
    const replan = await project.plan(db, 'add_nickname_once_more', 2);
    expect(replan.json.cohorts[0].tenants).to.deep.equal([{ database: 'main', schema: 'again_a' }]);
    expect((await project.tm(db, ['apply', replan.path])).code).to.equal(0);
    expect(await columnsOf(db, 'again_a', 'User')).to.have.property('nickname');
  });
});
