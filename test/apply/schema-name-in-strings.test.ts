/**
 * A tenant's own schema name inside a string is data, not a qualifier: tenant
 * `www` with a default 'https://www.example.com' (and tenant `example`, whose
 * `example.` is in there too) plans, applies, and then plans nothing, in the
 * same state as any other tenant, below and above the fleet size from which
 * schemas are read by signature.
 */
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects } from '../support/fleet.js';

const SITE = `${DATASOURCE_BLOCK}
model Site {
  id   Int    @id @default(autoincrement())
  url  String @default("https://www.example.com")
  note String @default("see www.example.com, example.org or acme.io")
}
`;

const NAMED = ['www', 'example', 'acme'];

describe('tenants whose names appear inside string defaults (real binary)', function () {
  this.timeout(240_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('www, example and acme converge and share one state (a few tenants)', async () => {
    const project = fleetProject({ tenants: NAMED, prismaFiles: { 'schema.prisma': SITE } });
    const plan = await project.plan(db, 'sites');
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);

    const { rows } = await db.query(
      `select table_schema, column_default from information_schema.columns where table_name = 'Site' and column_name = 'url' order by 1`,
    );
    expect(rows).to.deep.equal(NAMED.slice().sort().map((schema) => ({ table_schema: schema, column_default: `'https://www.example.com'::text` })));

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 3 schemas already match the Prisma schema.');

    // One state: a change is one cohort for all three.
    project.writePrisma('schema.prisma', SITE.replace('note String', 'title String?\n  note String'));
    const change = await project.plan(db, 'add_title');
    expect(change.result.stdout).to.match(/^Plan: 3 schemas to change, 0 unchanged, in 1 cohort\.$/m);
  });

  it('the same in a fleet read by signature (more than 50 tenants)', async () => {
    const others = Array.from({ length: 50 }, (_, i) => `t_${String(i).padStart(2, '0')}`);
    const project = fleetProject({ tenants: NAMED, discover: ['t_*'], prismaFiles: { 'schema.prisma': SITE } });
    await db.query(others.map((schema) => `create schema ${schema};`).join('\n'));
    const plan = await project.plan(db, 'sites');
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(apply.stdout).to.match(/Apply complete: 50 applied, 0 already applied, 0 stale, 0 failed/);

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 53 schemas already match the Prisma schema.');

    project.writePrisma('schema.prisma', SITE.replace('note String', 'title String?\n  note String'));
    const change = await project.plan(db, 'add_title');
    expect(change.result.stdout).to.match(/^Plan: 53 schemas to change, 0 unchanged, in 1 cohort\.$/m);
    const apply2 = await project.tm(db, ['apply', change.path]);
    expect(apply2.code, output(apply2)).to.equal(0);
    const last = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'last']);
    expect(last.code, output(last)).to.equal(0);
  });
});
