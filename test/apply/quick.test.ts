/**
 * The quick way through a tenant (src/apply/quick.ts): once a cohort's
 * before- and after-states have been read in full on one tenant, the others
 * are checked by the server (tm_expect_state) in the round trips that open
 * and close their transactions. It must decide exactly what the careful way
 * decides: a tenant changed by hand is stale, a failing step fails that
 * tenant only, and history rows are the same.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, historyRows, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';

const NAME_OPTIONAL = 'name      String?';
const TENANTS = ['quick_a', 'quick_b', 'quick_c', 'quick_d', 'quick_e', 'quick_f'];

describe('tm apply, the quick way for tenants in states already seen (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('applies, refuses a stale tenant and fails a failing one exactly as the careful way, with the same history', async () => {
    const project = fleetProject({ tenants: TENANTS });
    const base = await project.plan(db, 'base');
    expect((await project.tm(db, ['apply', base.path])).code).to.equal(0);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), NAME_OPTIONAL, 'name      String\n  nickname  String?'));
    const plan = await project.plan(db, 'require_name', 3);
    expect(plan.json.cohorts).to.have.length(1);
    const steps: string[] = plan.json.cohorts[0].steps.map((s: { sql: string }) => s.sql);

    // One at a time, in order: quick_a goes the careful way and teaches the states; the rest can go quickly.
    await db.query(`insert into quick_c."User"(email) values ('nameless@example.com')`); // name NULL: SET NOT NULL fails
    await db.query(`ALTER TABLE quick_e."User" ADD COLUMN x int`); // changed by hand: stale
    // Count calls of the server-side check (functions are counted when track_functions says so).
    await db.query(`ALTER DATABASE "${db.name}" SET track_functions = 'pl'`);

    const apply = await project.tm(db, ['apply', plan.path, '--parallelism', '1', '--max-failures', '5', '--allow-hazards', 'MAY_FAIL_ON_DATA']);
    expect(apply.code, output(apply)).to.equal(1);
    expect(apply.stdout).to.match(/^  ✗ main\/quick_c: failed, rolled back: quick_c: column "name" of relation "User" contains null values$/m);
    expect(apply.stdout).to.match(/^  ! main\/quick_e: skipped as stale: quick_e changed since the plan was made \(expected [0-9a-f]{12}, found [0-9a-f]{12}\): run tm plan again$/m);
    expect(apply.stdout).to.contain('Apply incomplete: 4 applied, 0 already applied, 1 stale, 1 failed');

    const calls = await db.query(`select coalesce(sum(calls), 0)::int as calls from pg_stat_user_functions where funcname = 'tm_expect_state'`);
    // quick_b, quick_d, quick_f: before and after; quick_c and quick_e: before (and quick_c after its failure, none).
    expect(calls.rows[0].calls, 'the server-side check ran for the tenants after the first').to.be.at.least(7);

    for (const t of ['quick_a', 'quick_b', 'quick_d', 'quick_f']) {
      const cols = await columnsOf(db, t, 'User');
      expect(cols.name.nullable, t).to.equal(false);
      expect(cols, t).to.have.property('nickname');
    }
    expect(await columnsOf(db, 'quick_c', 'User')).to.not.have.property('nickname');
    expect(await columnsOf(db, 'quick_e', 'User')).to.not.have.property('nickname');

    // Every history row says the same, however its tenant went: the plan's statements, the model before them (stored
    // once per state, see below), a duration, done.
    const rows = (
      await db.query(
        `select tenant_schema, statements, m.model::text as before_model, before_fingerprint, after_fingerprint, duration_ms, completed_at is not null as completed
           from tm.history h left join tm.models m on m.fingerprint = h.before_fingerprint
          where plan_id = $1 order by tenant_schema`,
        [plan.id],
      )
    ).rows;
    expect(rows.map((r) => r.tenant_schema)).to.deep.equal(['quick_a', 'quick_b', 'quick_d', 'quick_f']);
    for (const r of rows) {
      expect(r.statements, r.tenant_schema).to.deep.equal(steps);
      expect(r.before_model, r.tenant_schema).to.equal(rows[0].before_model).and.not.equal(null);
      expect(r.before_fingerprint, r.tenant_schema).to.equal(plan.json.cohorts[0].beforeFingerprint);
      expect(r.duration_ms, r.tenant_schema).to.be.at.least(0);
      expect(r.completed, r.tenant_schema).to.equal(true);
    }

    // The model before the plan is stored once for the four tenants, not in each history row.
    const stored = await db.query(`select count(*)::int as n from tm.models where fingerprint = $1`, [plan.json.cohorts[0].beforeFingerprint]);
    expect(stored.rows[0].n).to.equal(1);
    expect((await db.query(`select count(before_model)::int as n from tm.history where plan_id = $1`, [plan.id])).rows[0].n).to.equal(0);

    // After fixing quick_c's data, the same plan finishes it; quick_e stays stale.
    await db.query(`update quick_c."User" set name = 'Named'`);
    const rerun = await project.tm(db, ['apply', plan.path, '--parallelism', '1', '--max-failures', '5', '--allow-hazards', 'MAY_FAIL_ON_DATA']);
    expect(rerun.stdout).to.contain('Apply incomplete: 1 applied, 4 already applied, 1 stale, 0 failed');
    expect((await historyRows(db, plan.id)).map((r) => r.tenant_schema)).to.deep.equal(['quick_a', 'quick_b', 'quick_c', 'quick_d', 'quick_f']);
  });
});
