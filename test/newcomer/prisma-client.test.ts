/**
 * Prisma Client on tenants tm migrated: the DDL tm applies is what Prisma
 * expects. tm plans and applies the example schema to two tenant schemas of
 * the test database; Prisma Client is generated for the same schema (offline:
 * see below) and, through @prisma/adapter-pg with its `schema` option, creates
 * and reads rows in each tenant: autoincrement and uuid ids, defaults, the
 * enum, relations with nested writes, the implicit many-to-many table, unique
 * constraints and cascades. Each tenant sees only its own rows.
 *
 * `prisma generate` needs no engine, but Prisma's CLI downloads its native
 * schema engine before any command, which these machines cannot; pointing
 * PRISMA_SCHEMA_ENGINE_BINARY at a stand-in skips the download (generate never
 * runs it). The generated client is TypeScript; tsx runs the script.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, REPO_ROOT } from '../support/fleet.js';

const TENANTS = ['tenant_north', 'tenant_south'];

/** Creates and reads rows in each tenant with the generated client; prints what it read as JSON. */
const SCRIPT = `
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.ts';

const url = process.env.TM_PRISMA_TEST_URL!;
const tenants = JSON.parse(process.env.TM_PRISMA_TEST_TENANTS!) as string[];
const result: Record<string, unknown> = {};
for (const schema of tenants) {
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }, { schema }) });
  try {
    const garden = await prisma.category.create({ data: { name: 'garden' } });
    const spade = await prisma.product.create({
      data: { sku: schema + '-spade', name: 'Spade', priceCents: 2500, categories: { connect: { id: garden.id } } },
    });
    await prisma.product.create({ data: { sku: schema + '-rake', name: 'Rake', priceCents: 1800, categories: { create: { name: 'tools' } } } });
    const owner = await prisma.user.create({
      data: {
        email: 'owner@' + schema + '.example',
        name: 'Owner of ' + schema,
        role: 'OWNER',
        orders: { create: { items: { create: [{ productId: spade.id, quantity: 2 }] } } },
      },
    });
    await prisma.user.create({ data: { email: 'member@' + schema + '.example' } });
    let duplicate = 'accepted';
    try {
      await prisma.user.create({ data: { email: 'owner@' + schema + '.example' } });
    } catch (error) {
      duplicate = (error as { code?: string }).code ?? String(error);
    }
    const users = await prisma.user.findMany({
      orderBy: { id: 'asc' },
      include: { orders: { include: { items: { include: { product: { include: { categories: { orderBy: { name: 'asc' } } } } } } } } },
    });
    const products = await prisma.product.findMany({ orderBy: { id: 'asc' }, include: { categories: true } });
    await prisma.user.delete({ where: { id: owner.id } });
    result[schema] = {
      users: users.map((u) => ({
        id: u.id,
        email: u.email,
        name: u.name,
        role: u.role,
        createdAtIsDate: u.createdAt instanceof Date,
        orders: u.orders.map((o) => ({
          idIsUuid: /^[0-9a-f-]{36}$/.test(o.id),
          placedAtIsDate: o.placedAt instanceof Date,
          items: o.items.map((i) => ({ sku: i.product.sku, quantity: i.quantity, categories: i.product.categories.map((c) => c.name) })),
        })),
      })),
      products: products.map((p) => ({ id: p.id, sku: p.sku, categories: p.categories.map((c) => c.name) })),
      duplicate,
      ordersAfterDeletingOwner: await prisma.order.count(),
    };
  } finally {
    await prisma.$disconnect();
  }
}
console.log(JSON.stringify(result));
`;

describe('Prisma Client on tenants migrated by tm (real PostgreSQL)', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  let work = '';
  after(removeFleetProjects);
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('generates the client offline, then creates and reads rows in two tenants, each seeing only its own', async () => {
    // tm brings both tenants to the Prisma schema.
    const project = fleetProject({ tenants: TENANTS });
    const plan = await project.plan(db, 'init', 2);
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);

    // Prisma Client for the same schema folder.
    work = mkdtempSync(path.join(os.tmpdir(), 'tm-prisma-client-'));
    cpSync(path.join(REPO_ROOT, 'prisma', 'schema'), path.join(work, 'prisma', 'schema'), { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(work, 'node_modules'), 'dir');
    const generate = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', 'prisma/schema'], {
      cwd: work,
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(generate.status, `${generate.stdout}\n${generate.stderr}`).to.equal(0);
    expect(generate.stdout).to.match(/Generated Prisma Client \(7\.[\d.]+\) to \.\/generated\/prisma/);

    writeFileSync(path.join(work, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(path.join(work, 'script.ts'), SCRIPT);
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'script.ts'], {
      cwd: work,
      env: { ...process.env, TM_PRISMA_TEST_URL: db.url, TM_PRISMA_TEST_TENANTS: JSON.stringify(TENANTS) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const result = JSON.parse(run.stdout.trim().split('\n').pop()!);

    for (const schema of TENANTS) {
      expect(result[schema], schema).to.deep.equal({
        users: [
          {
            id: 1,
            email: `owner@${schema}.example`,
            name: `Owner of ${schema}`,
            role: 'OWNER',
            createdAtIsDate: true,
            orders: [{ idIsUuid: true, placedAtIsDate: true, items: [{ sku: `${schema}-spade`, quantity: 2, categories: ['garden'] }] }],
          },
          { id: 2, email: `member@${schema}.example`, name: null, role: 'MEMBER', createdAtIsDate: true, orders: [] },
        ],
        products: [
          { id: 1, sku: `${schema}-spade`, categories: ['garden'] },
          { id: 2, sku: `${schema}-rake`, categories: ['tools'] },
        ],
        duplicate: 'P2002', // the unique index on User.email, as Prisma reports it
        ordersAfterDeletingOwner: 0, // Order.user onDelete: Cascade
      });
    }
    // The rows are where tm put the tables: in each tenant's schema, nothing in public.
    for (const schema of TENANTS) {
      const { rows } = await db.query(`select email from ${schema}."User" order by id`);
      expect(rows.map((r) => r.email)).to.deep.equal([`member@${schema}.example`]);
    }
    const { rows: publicTables } = await db.query(`select count(*)::int as n from pg_tables where schemaname = 'public'`);
    expect(publicTables[0].n).to.equal(0);
  });
});
