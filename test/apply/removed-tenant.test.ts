/**
 * A tenant taken out of tenants.yaml after the plan was made (issue #20):
 * `tm apply` warns, naming it, and leaves it alone; `--include-removed`
 * applies it as planned.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, output, removeFleetProjects, tenantsYaml } from '../support/fleet.js';

describe('tm apply: a tenant removed from tenants.yaml after the plan', function () {
  this.timeout(240_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('is skipped with a warning naming it, unless --include-removed', async () => {
    const project = fleetProject({ tenants: ['rm_kept', 'rm_gone'] });
    const init = await project.tm(db, ['migrate', 'init', '--force']);
    expect(init.code, output(init)).to.equal(0);
    project.writePrisma('user.prisma', project.readPrisma('user.prisma').replace(/(\nmodel User \{[^}]*)\n}/, '$1\n  nickname String?\n}'));
    const plan = await project.plan(db, 'add_nickname');
    expect(plan.json.cohorts[0].tenants.map((t: { schema: string }) => t.schema).sort()).to.deep.equal(['rm_gone', 'rm_kept']);

    // rm_gone is offboarded: taken out of tenants.yaml, its schema still there.
    writeFileSync(path.join(project.dir, 'tenants.yaml'), tenantsYaml(['rm_kept'], []));
    const applied = await project.tm(db, ['apply', plan.path]);
    expect(applied.code, output(applied)).to.equal(0);
    expect(applied.stdout).to.match(/^ {2}! main\/rm_gone: rm_gone is no longer in tenants\.yaml \(listed or matched by discover\): skipped; to apply it anyway, pass --include-removed$/m);
    expect(applied.stdout).to.match(/1 tenant\(s\) no longer in tenants\.yaml/);
    expect(Object.keys(await columnsOf(db, 'rm_kept', 'User'))).to.include('nickname');
    expect(Object.keys(await columnsOf(db, 'rm_gone', 'User'))).to.not.include('nickname');

    const json = await project.tm(db, ['apply', plan.path, '--json']);
    expect(json.code, output(json)).to.equal(0);
    const summary = JSON.parse(json.stdout.trim().split('\n').at(-1)!);
    expect(summary.removed).to.deep.equal(['main/rm_gone']);

    const included = await project.tm(db, ['apply', plan.path, '--include-removed']);
    expect(included.code, output(included)).to.equal(0);
    expect(included.stdout).to.match(/^ {2}! main\/rm_gone: .*applied anyway \(--include-removed\)$/m);
    expect(included.stdout).to.match(/✓ main\/rm_gone: applied/);
    expect(Object.keys(await columnsOf(db, 'rm_gone', 'User'))).to.include('nickname');
  });
});
