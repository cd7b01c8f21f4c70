/**
 * `tm reset` through the real binary: without a terminal and without --force
 * it refuses; with --force the named tenant is left empty (the schema stays),
 * the others untouched; `tm rollback reset` brings it back with its data.
 */
import { expect } from 'chai';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, schemaExists, tablesOf } from '../support/fleet.js';
import { checksum, fingerprints } from './helpers.js';

const TABLES: Record<string, string[]> = {
  User: ['id', 'email', 'name', 'role', 'createdAt'],
  Product: ['id', 'sku', 'name', 'priceCents'],
  Category: ['id', 'name'],
  _CategoryToProduct: ['A', 'B'],
  Order: ['id', 'userId', 'placedAt'],
  OrderItem: ['orderId', 'productId', 'quantity'],
};

async function fill(db: FreshDatabase, s: string): Promise<void> {
  await db.query(`insert into ${s}."User"(email, name, role) select 'u' || g || '@${s}', case when g % 4 = 0 then null else 'User ' || g end, (array['OWNER','ADMIN','MEMBER'])[1 + g % 3]::${s}."Role" from generate_series(1, 50) g`);
  await db.query(`insert into ${s}."Category"(name) values ('a ${s}'), ('b')`);
  await db.query(`insert into ${s}."Product"(sku, name, "priceCents") select 'sku' || g, 'p' || g, g from generate_series(1, 10) g`);
  await db.query(`insert into ${s}."_CategoryToProduct"("A", "B") select c.id, p.id from ${s}."Category" c, ${s}."Product" p where p.id % 2 = c.id % 2`);
  await db.query(`insert into ${s}."Order"(id, "userId") select 'o' || u.id, u.id from ${s}."User" u where u.id % 5 = 0`);
  await db.query(`insert into ${s}."OrderItem"("orderId", "productId", quantity) select o.id, p.id, p.id from ${s}."Order" o, ${s}."Product" p where p.id <= 3`);
}

async function checksums(db: FreshDatabase, schema: string) {
  const out: Record<string, unknown> = {};
  for (const [table, columns] of Object.entries(TABLES)) out[table] = await checksum(db, schema, table, columns);
  return out;
}

describe('tm reset (real binary)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('refuses without a terminal and --force; --force empties the tenant; rollback of the reset restores it with its data', async () => {
    const project = fleetProject({ tenants: ['rr_1', 'rr_2'] });
    expect((await project.tm(db, ['migrate', 'initial', '--force'])).code).to.equal(0);
    for (const t of ['rr_1', 'rr_2']) await fill(db, t);
    const before = await fingerprints(db, ['rr_1', 'rr_2']);
    const data = await checksums(db, 'rr_2');
    const untouched = await checksums(db, 'rr_1');

    const refused = await project.tm(db, ['reset', '--schema', 'rr_2']);
    expect(refused.code, output(refused)).to.equal(1);
    expect(refused.stdout, 'shows exactly what goes').to.contain('- table "User"').and.contain('- enum "Role"').and.contain('rr_2');
    expect(refused.stderr).to.contain('tm reset asks for confirmation before it changes anything, and there is no terminal to ask on');
    expect(refused.stderr).to.contain('Pass --force to apply without asking, or review and apply in two steps: tm plan --kind reset --schema rr_2 -o plans/reset_reset.plan.json');
    expect(refused.stderr).to.contain('tm apply plans/reset_reset.plan.json --allow-hazards DATA_LOSS');
    expect(await fingerprints(db, ['rr_1', 'rr_2'])).to.deep.equal(before);

    const everyone = await project.tm(db, ['reset', '--dry-run']);
    expect(everyone.code, output(everyone)).to.equal(0);
    expect(everyone.stdout).to.match(/Cohort c1: 2 schemas/);

    const reset = await project.tm(db, ['reset', '--schema', 'rr_2', '--force']);
    expect(reset.code, output(reset)).to.equal(0);
    expect(reset.stdout).to.contain('Apply complete: 1 applied');
    expect(reset.stdout).to.contain('main/rr_2: table "User" → tm_backup.');
    expect(await schemaExists(db, 'rr_2')).to.equal(true);
    expect(await tablesOf(db, 'rr_2')).to.deep.equal([]);
    const left = await db.query(
      `select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'rr_2')::int as relations,
              (select count(*) from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'rr_2')::int as types`,
    );
    expect(left.rows[0]).to.deep.equal({ relations: 0, types: 0 });
    expect(await checksums(db, 'rr_1')).to.deep.equal(untouched);

    const rollback = await project.tm(db, ['rollback', 'reset', '--schema', 'rr_2', '--force']);
    expect(rollback.code, output(rollback)).to.equal(0);
    expect(await fingerprints(db, ['rr_1', 'rr_2'])).to.deep.equal(before);
    expect(await checksums(db, 'rr_2')).to.deep.equal(data);
    expect(await checksums(db, 'rr_1')).to.deep.equal(untouched);
    const next = await db.query(`insert into rr_2."User"(email) values ('next@rr_2') returning id`);
    expect(next.rows[0].id, 'the id sequence carries on').to.equal(51);
    const status = await project.tm(db, ['status', '--detailed-exitcode']);
    expect(status.code, output(status)).to.equal(0);
  });

  it('leaves a tenant that does not exist alone, and says when there is nothing to reset', async () => {
    const project = fleetProject({ tenants: ['rr_none'] });
    const result = await project.tm(db, ['reset', '--force']);
    expect(result.code, output(result)).to.equal(0);
    expect(result.stdout).to.contain('Nothing to reset: the selected tenant schemas are empty or do not exist.');
    expect(await schemaExists(db, 'rr_none')).to.equal(false);
  });
});
