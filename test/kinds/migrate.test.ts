/**
 * `tm migrate` through the real binary: a fleet migrates under a name that
 * status shows; --dry-run changes nothing; without a terminal and without
 * --force it refuses and says how to proceed; the same plan in two steps
 * (`tm plan --kind migrate`, `tm apply`).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, historyRows, output, removeFleetProjects, replaceOnce } from '../support/fleet.js';
import { fingerprints, historyCount } from './helpers.js';

const NAME_OPTIONAL = 'name      String?';
const TENANTS = ['mig_a', 'mig_b', 'mig_c'];

describe('tm migrate (real binary)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);
  let project: ReturnType<typeof fleetProject>;

  before(async () => {
    await db.query('create schema mig_c'); // exists, empty, found by discovery
    project = fleetProject({ tenants: ['mig_a', 'mig_b'], discover: ['mig_*'] });
  });

  it('migrates a fleet (creating tenants that do not exist) and status shows the name', async () => {
    const first = await project.tm(db, ['migrate', 'initial_schema', '--force']);
    expect(first.code, output(first)).to.equal(0);
    expect(first.stdout).to.contain('tm migrate "initial_schema"');
    expect(first.stdout).to.match(/Apply complete: 3 applied/);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), NAME_OPTIONAL, `${NAME_OPTIONAL}\n  nickname  String?`));
    const second = await project.tm(db, ['migrate', 'add_x', '--force']);
    expect(second.code, output(second)).to.equal(0);
    expect(second.stdout).to.contain('+ column "User"."nickname"');
    expect(second.stdout).to.match(/Saved the plan to plans\/\S+_add_x\.plan\.json/);

    const status = await project.tm(db, ['status', '--json']);
    expect(status.code, output(status)).to.equal(0);
    const tenants = JSON.parse(status.stdout).tenants;
    expect(tenants.map((t: any) => [t.schema, t.lastName, t.lastKind, t.version, t.state])).to.deep.equal(
      TENANTS.map((t) => [t, 'add_x', 'migrate', 2, 'up to date']),
    );
    const text = await project.tm(db, ['status']);
    for (const t of TENANTS) expect(text.stdout).to.match(new RegExp(`^${t}\\b.*\\badd_x\\b`, 'm'));
  });

  it('--dry-run shows the plan and changes nothing: same catalog, no history row, no plan file', async () => {
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), NAME_OPTIONAL, `${NAME_OPTIONAL}\n  nickname2 String?`));
    const before = await fingerprints(db, TENANTS);
    const plans = readdirSync(path.join(project.dir, 'plans')).sort();
    const rows = await historyCount(db);

    const dry = await project.tm(db, ['migrate', 'add_y', '--dry-run']);
    expect(dry.code, output(dry)).to.equal(0);
    expect(dry.stdout).to.contain('+ column "User"."nickname2"');
    expect(dry.stdout).to.contain('Dry run: nothing was applied and no plan file was written.');
    expect(dry.stdout).to.not.contain('Applying');

    expect(await fingerprints(db, TENANTS)).to.deep.equal(before);
    expect(readdirSync(path.join(project.dir, 'plans')).sort()).to.deep.equal(plans);
    expect(await historyCount(db)).to.equal(rows);
  });

  it('without a terminal and without --force: shows the plan, refuses with exit 1, says how to proceed, changes nothing', async () => {
    const before = await fingerprints(db, TENANTS);
    const result = await project.tm(db, ['migrate', 'add_y']);
    expect(result.code, output(result)).to.equal(1);
    expect(result.stdout).to.contain('+ column "User"."nickname2"');
    expect(result.stderr).to.contain('tm migrate asks for confirmation before it changes anything, and there is no terminal to ask on');
    expect(result.stderr).to.contain('Pass --force to apply without asking');
    expect(result.stderr).to.contain('tm plan --kind migrate --name add_y -o plans/migrate_add_y.plan.json');
    expect(result.stderr).to.contain('then tm apply plans/migrate_add_y.plan.json');
    expect(result.stderr).to.not.match(/\n\s+at /);
    expect(await fingerprints(db, TENANTS)).to.deep.equal(before);
  });

  it('the two-step way: tm plan --kind migrate, then tm apply, records the name', async () => {
    const file = path.join(project.dir, 'plans', 'two_step.plan.json');
    const plan = await project.tm(db, ['plan', '--kind', 'migrate', '--name', 'add_y', '-o', file]);
    expect(plan.code, output(plan)).to.equal(0);
    const apply = await project.tm(db, ['apply', file]);
    expect(apply.code, output(apply)).to.equal(0);
    const rows = await db.query(`select distinct kind, name from tm.history where name = 'add_y'`);
    expect(rows.rows).to.deep.equal([{ kind: 'migrate', name: 'add_y' }]);
    expect((await historyRows(db)).length).to.equal(9);
  });

  it('checks the name: refuses one that is not an identifier, warns about one that says nothing', async () => {
    const bad = await project.tm(db, ['migrate', 'add-z', '--dry-run']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.contain('A migration name uses letters, digits and _ only (at most 64 characters): "add-z".');
    expect(bad.stdout).to.equal('');

    const vague = await project.tm(db, ['migrate', 'update1', '--dry-run']);
    expect(vague.code, output(vague)).to.equal(0);
    expect(vague.stderr).to.contain('Warning: the name "update1" does not say what the migration changes');
  });
});
