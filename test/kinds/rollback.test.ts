/**
 * `tm rollback` through the real binary: a migration that drops data, then a
 * rollback of one tenant puts every value back (row-by-row checksums equal),
 * other tenants untouched; required and unique columns, whole tables with
 * their many-to-many rows and sequences; later migrations undone too; a
 * migration applied with --skip-backup is refused clearly (--schema-only
 * goes on without the data); the two-step way (tm plan --kind rollback).
 */
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { columnsOf, fleetProject, output, removeFleetProjects, replaceOnce, tablesOf } from '../support/fleet.js';
import { checksum, fingerprints } from './helpers.js';

const USER_COLUMNS = ['id', 'email', 'name', 'role', 'createdAt'];

async function fill(db: FreshDatabase, schema: string): Promise<void> {
  await db.query(`insert into ${schema}."User"(email, name, role) values
      ('ada@${schema}', 'Ada', 'OWNER'), ('nameless@${schema}', null, 'MEMBER'), ('zoe@${schema}', 'Zoë ''quoted'' ${schema}', 'ADMIN')`);
  await db.query(`insert into ${schema}."User"(email, name) select 'u' || g || '@${schema}', case when g % 3 = 0 then null else 'name ' || g || ' ${schema}' end from generate_series(1, 300) g`);
  await db.query(`delete from ${schema}."User" where email = 'u7@${schema}'`); // a gap in the ids
  await db.query(`insert into ${schema}."Category"(name) values ('books ${schema}'), ('games'), ('tools')`);
  await db.query(`insert into ${schema}."Product"(sku, name, "priceCents") select 'sku' || g, 'product ' || g, g * 100 from generate_series(1, 20) g`);
  await db.query(`insert into ${schema}."_CategoryToProduct"("A", "B") select c.id, p.id from ${schema}."Category" c, ${schema}."Product" p where (c.id + p.id) % 2 = 0`);
}

describe('tm rollback (real binary)', function () {
  this.timeout(240_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('a migration drops a column with data; rollback of one tenant puts every value back, the others untouched', async () => {
    const tenants = ['rb_1', 'rb_2', 'rb_3'];
    const project = fleetProject({ tenants });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    for (const t of tenants) await fill(db, t);
    const original = await checksum(db, 'rb_1', 'User', USER_COLUMNS);
    expect(original.rows).to.equal(302);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));
    const drop = await project.tm(db, ['migrate', 'drop_name', '--force']);
    expect(drop.code, output(drop)).to.equal(0);
    expect(drop.stdout).to.contain('- column "User"."name"');
    expect(drop.stdout).to.contain('Backups: copied to tm_backup in each tenant\'s transaction before its steps');
    expect(drop.stdout).to.match(/Backed up before the destructive steps:\n(  main\/rb_\d: column "User"\."name" → tm_backup\.\S+ \(302 row\(s\), .*\)\n){3}/);
    for (const t of tenants) expect(await columnsOf(db, t, 'User')).to.not.have.property('name');
    const others = await fingerprints(db, ['rb_2', 'rb_3']);
    const otherRows = await Promise.all(['rb_2', 'rb_3'].map((t) => checksum(db, t, 'User', ['id', 'email', 'role'])));

    const rollback = await project.tm(db, ['rollback', 'drop_name', '--schema', 'rb_1', '--force']);
    expect(rollback.code, output(rollback)).to.equal(0);
    expect(rollback.stdout).to.match(/Rollback of rb_1 \(database main\) to its state before drop_name/);
    expect(rollback.stdout).to.match(/column "User"\."name": 302 row\(s\) from tm_backup\."b[0-9a-f]{10}_rb_1_User_name"/);
    expect(rollback.stdout).to.contain('Apply complete: 1 applied');

    expect(await checksum(db, 'rb_1', 'User', USER_COLUMNS), 'every value of rb_1 is back').to.deep.equal(original);
    expect(await fingerprints(db, ['rb_2', 'rb_3'])).to.deep.equal(others);
    expect(await Promise.all(['rb_2', 'rb_3'].map((t) => checksum(db, t, 'User', ['id', 'email', 'role'])))).to.deep.equal(otherRows);

    const history = await db.query(`select kind, name from tm.history where tenant_schema = 'rb_1' order by id`);
    expect(history.rows).to.deep.equal([
      { kind: 'migrate', name: 'initial' },
      { kind: 'migrate', name: 'drop_name' },
      { kind: 'rollback', name: 'drop_name' },
    ]);
    const status = JSON.parse((await project.tm(db, ['status', '--json'])).stdout).tenants;
    expect(status.find((t: any) => t.schema === 'rb_1')).to.deep.include({ lastName: 'drop_name', lastKind: 'rollback', state: 'pending changes' });
    expect(status.find((t: any) => t.schema === 'rb_2')).to.deep.include({ lastName: 'drop_name', lastKind: 'migrate', state: 'up to date' });
  });

  it('undoes later migrations too, and brings back a required unique column and dropped tables with their rows and sequences', async () => {
    const tenants = ['rc_1', 'rc_2'];
    const project = fleetProject({ tenants });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    for (const t of tenants) await fill(db, t);
    const users = await checksum(db, 'rc_1', 'User', USER_COLUMNS);
    const categories = await checksum(db, 'rc_1', 'Category', ['id', 'name']);
    const links = await checksum(db, 'rc_1', '_CategoryToProduct', ['A', 'B']);
    expect(links.rows).to.be.greaterThan(10);
    const before = await fingerprints(db, ['rc_1']);

    // Drops User.email (required, unique) and the Category model (and so the join table).
    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  email     String   @unique\n', ''));
    let product = project.readPrisma('product.prisma');
    product = replaceOnce(product, '  categories  Category[]\n', '');
    product = product.replace(/\/\/\/ A way to group products[^]*?\n}\n/, '');
    project.writePrisma('product.prisma', product);
    const m2 = await project.tm(db, ['migrate', 'drop_email_and_categories', '--force']);
    expect(m2.code, output(m2)).to.equal(0);
    expect(await tablesOf(db, 'rc_1')).to.not.include('Category');

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', '  name      String?\n  nickname  String?\n'));
    expect((await project.tm(db, ['migrate', 'add_nickname', '--force'])).code).to.equal(0);
    await db.query(`update rc_1."User" set nickname = 'nick'`);
    const other = await fingerprints(db, ['rc_2']);

    const rollback = await project.tm(db, ['rollback', 'drop_email_and_categories', '--schema', 'rc_1', '--force']);
    expect(rollback.code, output(rollback)).to.equal(0);
    expect(rollback.stdout).to.contain('It also undoes 1 later plan(s): add_nickname.');
    expect(rollback.stdout).to.contain('table "Category": 3 row(s)');

    expect(await fingerprints(db, ['rc_1']), 'rc_1 is in its state before the migration').to.deep.equal(before);
    expect(await checksum(db, 'rc_1', 'User', USER_COLUMNS)).to.deep.equal(users);
    expect(await checksum(db, 'rc_1', 'Category', ['id', 'name'])).to.deep.equal(categories);
    expect(await checksum(db, 'rc_1', '_CategoryToProduct', ['A', 'B'])).to.deep.equal(links);
    expect(await fingerprints(db, ['rc_2'])).to.deep.equal(other);
    expect(await tablesOf(db, 'rc_2')).to.not.include('Category');

    // The sequences carry on after the restored ids, and the unique index is back.
    const added = await db.query(`insert into rc_1."Category"(name) values ('new') returning id`);
    expect(added.rows[0].id).to.equal(4);
    const user = await db.query(`insert into rc_1."User"(email) values ('new@rc_1') returning id`);
    expect(user.rows[0].id).to.equal(304);
    let duplicate: unknown = null;
    await db.query(`insert into rc_1."User"(email) values ('ada@rc_1')`).catch((e) => (duplicate = e));
    expect(String(duplicate)).to.contain('duplicate key value violates unique constraint "User_email_key"');
  });

  it('refuses clearly when the data to put back was dropped with --skip-backup; --schema-only rolls back without it; two steps work', async () => {
    const tenants = ['rs_1', 'rs_2'];
    const project = fleetProject({ tenants });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    for (const t of tenants) await fill(db, t);

    project.writePrisma('user.prisma', replaceOnce(project.readPrisma('user.prisma'), '  name      String?\n', ''));
    const drop = await project.tm(db, ['migrate', 'drop_name_unsafely', '--force', '--skip-backup']);
    expect(drop.code, output(drop)).to.equal(0);
    expect(drop.stdout).to.contain('Backups: NONE (--skip-backup)');
    expect(drop.stdout).to.not.contain('Backed up before');
    expect((await db.query(`select count(*)::int as n from tm.backups where tenant_schema like 'rs_%'`)).rows[0].n).to.equal(0);
    const skipped = await db.query(`select tenant_schema, skip_backup from tm.history where name = 'drop_name_unsafely' order by 1`);
    expect(skipped.rows).to.deep.equal([{ tenant_schema: 'rs_1', skip_backup: true }, { tenant_schema: 'rs_2', skip_backup: true }]);
    const status = JSON.parse((await project.tm(db, ['status', '--json', '--schema', 'rs_1'])).stdout).tenants;
    expect(status[0].backupsSkipped).to.equal(1);
    expect((await project.tm(db, ['status'])).stdout).to.contain('Applied without backups (--skip-backup), so tm rollback cannot restore what they removed: rs_1, rs_2.');
    const before = await fingerprints(db, tenants);

    const refused = await project.tm(db, ['rollback', 'drop_name_unsafely', '--schema', 'rs_1', '--force']);
    expect(refused.code, output(refused)).to.equal(1);
    expect(refused.stderr).to.contain(
      'Error: Cannot roll back rs_1 to before drop_name_unsafely with its data: column "User"."name" was changed without a backup by drop_name_unsafely',
    );
    expect(refused.stderr).to.contain('applied with --skip-backup');
    expect(refused.stderr).to.contain('--schema-only');
    expect(await fingerprints(db, tenants)).to.deep.equal(before);

    // Two steps: plan the schema-only rollback, then apply it.
    const file = path.join(project.dir, 'plans', 'rollback.plan.json');
    const plan = await project.tm(db, ['plan', '--kind', 'rollback', '--name', 'drop_name_unsafely', '--schema', 'rs_1', '--schema-only', '-o', file]);
    expect(plan.code, output(plan)).to.equal(0);
    expect(plan.stdout).to.contain('+ column "User"."name"');
    expect(plan.stdout).to.contain('Note: Not restored (--schema-only): column "User"."name" was changed without a backup');
    const apply = await project.tm(db, ['apply', file]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(apply.stdout, 'the other tenant is outside the plan, not "not covered"').to.not.contain('not covered');
    expect(await columnsOf(db, 'rs_1', 'User')).to.have.property('name');
    expect((await db.query(`select count(*)::int as n from rs_1."User" where name is not null`)).rows[0].n).to.equal(0);
    expect((await fingerprints(db, ['rs_2'])).rs_2).to.equal(before.rs_2);
  });

  it('puts back values a narrowing type change cut short', async () => {
    const project = fleetProject({ tenants: ['rn_1'] });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    await fill(db, 'rn_1');
    const products = await checksum(db, 'rn_1', 'Product', ['id', 'sku', 'name', 'priceCents']);
    let product = project.readPrisma('product.prisma');
    product = replaceOnce(product, '  name        String\n', '  name        String      @db.VarChar(3)\n');
    project.writePrisma('product.prisma', product);
    const narrow = await project.tm(db, ['migrate', 'shorten_product_names', '--force']);
    expect(narrow.code, output(narrow)).to.equal(0);
    expect(narrow.stdout).to.contain('! DATA_LOSS: converts "name" from text to character varying(3): values can be cut');
    expect((await db.query(`select distinct name from rn_1."Product"`)).rows).to.deep.equal([{ name: 'pro' }]);

    const rollback = await project.tm(db, ['rollback', 'shorten_product_names', '--schema', 'rn_1', '--force']);
    expect(rollback.code, output(rollback)).to.equal(0);
    expect(rollback.stdout).to.contain('column "Product"."name": 20 row(s)');
    expect(await checksum(db, 'rn_1', 'Product', ['id', 'sku', 'name', 'priceCents'])).to.deep.equal(products);
  });

  it('says what it cannot do: an unknown name lists the history; a schema that is not a tenant', async () => {
    const project = fleetProject({ tenants: ['rb_1'] });
    const unknown = await project.tm(db, ['rollback', 'nope', '--schema', 'rb_1', '--force']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('Error: rb_1 has no applied plan named "nope".');
    expect(unknown.stderr).to.contain('Its latest plans, oldest first: initial, drop_name, drop_name (rollback).');
    const missing = await project.tm(db, ['rollback', 'initial', '--schema', 'zz_9', '--force']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('Not a tenant in tenants.yaml (listed or discovered): zz_9.');
  });
});
