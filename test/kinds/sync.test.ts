/**
 * `tm sync` through the real binary: a tenant newly listed in tenants.yaml is
 * created and a tenant whose column was dropped by hand is repaired, under the
 * latest migration name and without asking (nothing is lost); a sync that
 * would drop data asks like migrate.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, output, removeFleetProjects, schemaExists, tenantsYaml } from '../support/fleet.js';
import { fingerprints } from './helpers.js';

describe('tm sync (real binary)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('creates a tenant added to tenants.yaml and repairs one whose column was dropped by hand', async () => {
    const project = fleetProject({ tenants: ['sy_1', 'sy_2'] });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    const good = (await fingerprints(db, ['sy_2'])).sy_2;

    writeFileSync(path.join(project.dir, 'tenants.yaml'), tenantsYaml(['sy_1', 'sy_2', 'sy_3'], []));
    await db.query(`alter table sy_1."User" drop column name`);
    await db.query(`insert into sy_1."User"(email) values ('kept@sy_1')`);

    const sync = await project.tm(db, ['sync']);
    expect(sync.code, output(sync)).to.equal(0);
    expect(sync.stdout).to.contain('tm sync "initial"');
    expect(sync.stdout).to.match(/Plan: 2 schemas to change \(1 new\), 1 unchanged, in 2 cohorts\./);
    expect(sync.stdout).to.contain('Apply complete: 2 applied');

    expect(await schemaExists(db, 'sy_3')).to.equal(true);
    expect(await fingerprints(db, ['sy_1', 'sy_2', 'sy_3'])).to.deep.equal({ sy_1: good, sy_2: good, sy_3: good });
    expect(await columnsOf(db, 'sy_1', 'User')).to.have.property('name');
    expect((await db.query(`select email from sy_1."User"`)).rows).to.deep.equal([{ email: 'kept@sy_1' }]);
    const history = await db.query(`select tenant_schema, kind, name from tm.history where kind = 'sync' order by 1`);
    expect(history.rows).to.deep.equal([
      { tenant_schema: 'sy_1', kind: 'sync', name: 'initial' },
      { tenant_schema: 'sy_3', kind: 'sync', name: 'initial' },
    ]);

    const again = await project.tm(db, ['sync']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes.');
  });

  it('asks before a sync that would drop data (refused without a terminal), and backs it up with --force', async () => {
    const project = fleetProject({ tenants: ['sz_1'] });
    expect((await project.tm(db, ['sync', '--force'])).code).to.equal(0);
    expect((await db.query(`select name from tm.history where tenant_schema = 'sz_1'`)).rows).to.deep.equal([{ name: 'initial' }]);
    await db.query(`alter table sz_1."User" add column extra int`);
    await db.query(`insert into sz_1."User"(email, extra) values ('x@sz_1', 42)`);

    const refused = await project.tm(db, ['sync']);
    expect(refused.code, output(refused)).to.equal(1);
    expect(refused.stdout).to.contain('- column "User"."extra"');
    expect(refused.stderr).to.contain('tm sync asks for confirmation');
    expect(await columnsOf(db, 'sz_1', 'User')).to.have.property('extra');

    const forced = await project.tm(db, ['sync', '--force']);
    expect(forced.code, output(forced)).to.equal(0);
    expect(await columnsOf(db, 'sz_1', 'User')).to.not.have.property('extra');
    const backup = await db.query(`select backup_schema, backup_table, row_count::int from tm.backups where tenant_schema = 'sz_1'`);
    expect(backup.rows).to.have.length(1);
    const saved = await db.query(`select * from "${backup.rows[0].backup_schema}"."${backup.rows[0].backup_table}"`);
    expect(saved.rows.map((r) => r.extra)).to.deep.equal([42]);
  });
});
