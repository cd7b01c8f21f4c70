/**
 * Permissions: tm run as an application role that lacks CREATE on the
 * database, USAGE on a tenant schema, or ownership of a table. `tm apply`
 * names each missing privilege and its object before it changes anything
 * (src/apply/privileges.ts: one catalog query per database); `tm plan`
 * refuses when it cannot work out the desired state (its scratch schema needs
 * CREATE on the database) and warns when tm apply as the same role would be
 * refused.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects, tenantsYaml, type FleetProject } from '../support/fleet.js';
import { faultInjected } from './figures.js';
import { databaseDigest, expectClean, expectSameDigest } from './support.js';

const NOTES = `model Note {
  id    Int    @id @default(autoincrement())
  title String
}
`;
const NOTES_CHANGED = `model Note {
  id    Int     @id @default(autoincrement())
  title String
  body  String?

  @@index([title])
}
`;

describe('faults: permissions (a role without CREATE, USAGE or ownership)', function () {
  this.timeout(300_000);
  const db = useFreshDatabase('tm_fault_perms');
  const suffix = randomBytes(3).toString('hex');
  const APP = `tm_perm_app_${suffix}`;
  const OTHER = `tm_perm_other_${suffix}`;
  const tenants = ['perm_a', 'perm_b', 'perm_c'];
  let project: FleetProject;
  let app: FreshDatabase;

  before(async () => {
    await db.query(`create role ${APP} login; create role ${OTHER}`);
    await db.query(`grant create on database "${db.name}" to ${APP}`);
    const u = new URL(db.url);
    u.username = APP;
    app = { url: u.toString(), name: db.name, query: db.query };
    project = fleetProject({ tenants, prismaFiles: { 'schema.prisma': DATASOURCE_BLOCK, 'notes.prisma': NOTES } });
    // The application role creates and so owns the tenants and tm's schemas.
    const base = await project.tm(app, ['migrate', 'base', '--force']);
    expect(base.code, output(base)).to.equal(0);
    for (const t of tenants) await db.query(`insert into ${t}."Note"(title) select 'n' || g from generate_series(1, 25) g`);
    project.writePrisma('notes.prisma', NOTES_CHANGED);
  });
  after(async () => {
    removeFleetProjects();
    for (const role of [APP, OTHER]) {
      await db.query(`reassign owned by ${role} to current_user`).catch(() => {});
      await db.query(`drop owned by ${role}`).catch(() => {});
      await db.query(`drop role if exists ${role}`).catch(() => {});
    }
  });

  /** A plan made by the superuser (as a reviewer's CI might), applied by the application role. */
  async function supersPlan(name: string): Promise<string> {
    const file = path.join(project.dir, `${name}.plan.json`);
    const run = await project.tm(db, ['plan', '--no-sql', '--name', name, '-o', file]);
    expect(run.code, output(run)).to.equal(0);
    return file;
  }

  async function refusedApply(file: string): Promise<string> {
    const before = await databaseDigest(db);
    const result = await project.tm(app, ['apply', file]);
    faultInjected('missing privileges');
    expectClean(result, 'tm apply');
    expect(result.code, output(result)).to.equal(1);
    expect(result.stdout, 'no tenant started').to.not.match(/✓|✗/);
    expect(result.stderr).to.contain(`Error: Cannot apply to database "main" ("${db.name}" on the server): role "${APP}" lacks`);
    expect(result.stderr).to.contain('Nothing was changed.');
    expectSameDigest(await databaseDigest(db), before, 'refused tm apply');
    return result.stderr;
  }

  it('not the owner of a table: tm apply names the table and its owner; tm plan warns the same', async () => {
    const file = await supersPlan('not_owner');
    await db.query(`alter table perm_c."Note" owner to ${OTHER}`);
    try {
      const stderr = await refusedApply(file);
      expect(stderr).to.contain(`lacks a privilege the plan needs:\n  - ownership on table "perm_c"."Note" (owned by "${OTHER}"): a step alters or drops it or builds an index on it\n`);
      expect(stderr).to.contain(`As an owner or a superuser: ALTER TABLE "perm_c"."Note" OWNER TO "${APP}".`);

      const planned = await project.tm(app, ['plan', '--no-sql', '--detailed-exitcode', '--name', 'warned', '-o', 'warned.plan.json']);
      expect(planned.code, output(planned)).to.be.oneOf([2, 3]);
      expect(planned.stderr).to.contain(
        `Warning: tm apply of this plan as role "${APP}" would be refused on database "main", which lacks:\n  - ownership on table "perm_c"."Note" (owned by "${OTHER}")`,
      );
    } finally {
      await db.query(`alter table perm_c."Note" owner to ${APP}`);
    }
  });

  it('no USAGE (nor CREATE) on a tenant schema: tm apply names the schema; nothing changes', async () => {
    const file = await supersPlan('no_usage');
    await db.query(`alter schema perm_b owner to ${OTHER}`);
    await db.query(`revoke all on schema perm_b from ${APP}, public`);
    try {
      const stderr = await refusedApply(file);
      expect(stderr).to.contain(`lacks 2 privileges the plan needs:\n  - USAGE on schema "perm_b": to change the tenant schema\n  - CREATE on schema "perm_b": to create objects in the tenant schema\n`);
      expect(stderr).to.contain(`GRANT USAGE ON SCHEMA "perm_b" TO "${APP}"; GRANT CREATE ON SCHEMA "perm_b" TO "${APP}"`);
    } finally {
      await db.query(`alter schema perm_b owner to ${APP}`);
    }
  });

  it('no CREATE on the database: tm plan cannot work out the desired state and says why; tm apply names what it would create', async () => {
    // A new tenant, and tm's history in a metadata schema that does not exist yet.
    writeFileSync(path.join(project.dir, 'tenants.yaml'), tenantsYaml([...tenants, 'perm_new'], []));
    const file = await supersPlan('no_create');
    writeFileSync(path.join(project.dir, 'tenants.yaml'), 'metadataSchema: tm_perm\n' + tenantsYaml([...tenants, 'perm_new'], []));
    await db.query(`revoke create on database "${db.name}" from ${APP}, public`);
    try {
      const stderr = await refusedApply(file);
      expect(stderr).to.contain(
        `lacks a privilege the plan needs:\n  - CREATE on database "${db.name}": to create tm's metadata schema "tm_perm" (history) and to create the tenant schema "perm_new"\n`,
      );
      expect(stderr).to.contain(`GRANT CREATE ON DATABASE "${db.name}" TO "${APP}"`);

      const before = await databaseDigest(db);
      const planned = await project.tm(app, ['plan', '--no-sql', '--name', 'cannot']);
      faultInjected('missing privileges');
      expectClean(planned, 'tm plan');
      expect(planned.code, output(planned)).to.equal(1);
      expect(planned.stderr).to.contain(
        `Error: Cannot plan database "main": role "${APP}" lacks CREATE on database "${db.name}", which tm plan needs to work out what Prisma would create, in a scratch schema it rolls back (nothing is kept).`,
      );
      expect(planned.stdout).to.not.contain('Saved the plan');
      expectSameDigest(await databaseDigest(db), before, 'refused tm plan');
    } finally {
      await db.query(`grant create on database "${db.name}" to ${APP}`);
      writeFileSync(path.join(project.dir, 'tenants.yaml'), tenantsYaml([...tenants, 'perm_new'], []));
    }
  });

  it('everything missing at once is listed at once; with the privileges back, the same role applies the plan', async () => {
    const file = await supersPlan('all_at_once');
    await db.query(`alter table perm_a."Note" owner to ${OTHER}`);
    await db.query(`alter schema perm_b owner to ${OTHER}; revoke all on schema perm_b from ${APP}, public`);
    await db.query(`revoke create on database "${db.name}" from ${APP}, public`);
    try {
      const stderr = await refusedApply(file);
      expect(stderr).to.contain('lacks 4 privileges the plan needs:');
      expect(stderr).to.contain(`  - CREATE on database "${db.name}": to create the tenant schema "perm_new"`);
      expect(stderr).to.contain('  - USAGE on schema "perm_b"');
      expect(stderr).to.contain('  - CREATE on schema "perm_b"');
      expect(stderr).to.contain(`  - ownership on table "perm_a"."Note" (owned by "${OTHER}")`);
    } finally {
      await db.query(`alter table perm_a."Note" owner to ${APP}; alter schema perm_b owner to ${APP}`);
      await db.query(`grant create on database "${db.name}" to ${APP}`);
    }
    const applied = await project.tm(app, ['apply', file]);
    expect(applied.code, output(applied)).to.equal(0);
    expect(applied.stdout).to.contain('Apply complete: 4 applied');
  });
});
