/**
 * Where Prisma's schema engine sees no drift, tm plans nothing (issue #15,
 * items 3–5), through the real binary: a tenant whose enum got its values in
 * another order (Prisma's migrations append with ADD VALUE), whose list column
 * was made NOT NULL by hand, or whose unique index is a hand-written UNIQUE
 * constraint (a foreign key on it, or DEFERRABLE INITIALLY DEFERRED) is up to
 * date for tm plan, tm status and tm drift (--detailed-exitcode 0). A value
 * added mid-list is ADD VALUE … BEFORE: no rewrite, rows kept.
 */
import { expect } from 'chai';
import type { ConstraintModel, SchemaModel } from '../../src/catalog/model.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { tenantTarget } from '../../src/diff/equivalence.js';
import { buildPlan } from '../../src/plan/build.js';
import { useFreshDatabase, type FreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects, replaceOnce, type FleetProject } from '../support/fleet.js';
import { column } from '../support/synthetic-plan.js';
import { withClient } from '../support/tenants.js';

const SCHEMA = `${DATASOURCE_BLOCK}
enum Role {
  OWNER
  MEMBER
}

model User {
  id     Int      @id @default(autoincrement())
  email  String   @unique
  handle String   @unique
  tags   String[]
  role   Role     @default(MEMBER)
  posts  Post[]
}

model Post {
  id          Int    @id @default(autoincrement())
  title       String
  authorEmail String
  author      User   @relation(fields: [authorEmail], references: [email])

  @@index([title])
}
`;

async function sql(db: FreshDatabase, schema: string, text: string): Promise<void> {
  await withClient(db.url, async (client) => {
    await client.query(`SET search_path TO "${schema}"`);
    await client.query(text);
  });
}

describe('differences Prisma sees no drift in (real binary)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);
  let project: FleetProject;

  const expectUpToDate = async () => {
    const plan = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'nothing']);
    expect(plan.code, output(plan)).to.equal(0);
    expect(plan.stdout).to.contain('No changes.');
    const status = await project.tm(db, ['status', '--detailed-exitcode']);
    expect(status.code, output(status)).to.equal(0);
    expect(status.stdout).to.contain('2 up to date');
    const drift = await project.tm(db, ['drift']);
    expect(drift.code, output(drift)).to.equal(0);
  };

  before(async () => {
    project = fleetProject({ tenants: ['tenant_a', 'tenant_b'], prismaFiles: { 'schema.prisma': SCHEMA } });
    const created = await project.plan(db, 'create');
    const apply = await project.tm(db, ['apply', created.path]);
    expect(apply.code, output(apply)).to.equal(0);
    for (const tenant of ['tenant_a', 'tenant_b']) {
      await sql(db, tenant, `INSERT INTO "User" (email, handle, tags, role) VALUES ('a@x', 'a', '{x}', 'OWNER'), ('b@x', 'b', '{}', 'MEMBER');
        INSERT INTO "Post" (title, "authorEmail") VALUES ('hello', 'a@x')`);
    }
  });

  it('a unique constraint (with a foreign key on it, or deferred) for the unique index: nothing to plan', async () => {
    // tenant_a: the index Post's foreign key uses becomes a constraint (the foreign key must go and come back for it).
    await sql(
      db,
      'tenant_a',
      `ALTER TABLE "Post" DROP CONSTRAINT "Post_authorEmail_fkey";
       DROP INDEX "User_email_key";
       ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE (email);
       ALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES "User"(email) ON UPDATE CASCADE ON DELETE RESTRICT`,
    );
    // tenant_b: a deferred unique constraint (a swap for an index inside a transaction would lose the deferral).
    await sql(db, 'tenant_b', `DROP INDEX "User_handle_key"; ALTER TABLE "User" ADD CONSTRAINT "User_handle_key" UNIQUE (handle) DEFERRABLE INITIALLY DEFERRED`);
    await expectUpToDate();
  });

  it('NOT NULL on a list column: nothing to plan', async () => {
    await sql(db, 'tenant_a', `ALTER TABLE "User" ALTER COLUMN tags SET NOT NULL`);
    await expectUpToDate();
  });

  it('enum values in another order (appended by ADD VALUE): nothing to plan; a value added mid-list: ADD VALUE, no rewrite', async () => {
    // As Prisma's migrations leave it: ADMIN appended, while the schema lists it between OWNER and MEMBER.
    await sql(db, 'tenant_a', `ALTER TYPE "Role" ADD VALUE 'ADMIN'`);
    project.writePrisma('schema.prisma', replaceOnce(SCHEMA, '  OWNER\n', '  OWNER\n  ADMIN\n'));
    const plan = await project.plan(db, 'admin');
    // tenant_b lacks ADMIN; tenant_a has it, in another order: only tenant_b changes.
    expect(plan.json.cohorts.map((c: any) => c.tenants.map((t: any) => t.schema))).to.deep.equal([['tenant_b']]);
    expect(plan.json.cohorts[0].steps.map((s: any) => s.sql)).to.deep.equal([`ALTER TYPE "Role" ADD VALUE 'ADMIN' BEFORE 'MEMBER'`]);
    expect(plan.json.summary.hazards).to.deep.equal([]);
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    await expectUpToDate();

    // Another value, mid-list in the schema: placed in tenant_a's own order, never a rebuilt type.
    project.writePrisma('schema.prisma', replaceOnce(SCHEMA, '  OWNER\n', '  OWNER\n  ADMIN\n  GUEST\n'));
    const guest = await project.plan(db, 'guest');
    const steps = guest.json.cohorts.flatMap((c: any) => c.steps.map((s: any) => s.sql));
    expect(steps.every((s: string) => s.startsWith(`ALTER TYPE "Role" ADD VALUE 'GUEST'`)), steps.join('\n')).to.equal(true);
    expect(guest.json.summary.hazards).to.deep.equal([]);
    expect((await project.tm(db, ['apply', guest.path])).code).to.equal(0);
    await expectUpToDate();
    await withClient(db.url, async (client) => {
      const { rows } = await client.query(`SELECT email, role::text FROM tenant_a."User" ORDER BY email`);
      expect(rows).to.deep.equal([
        { email: 'a@x', role: 'OWNER' },
        { email: 'b@x', role: 'MEMBER' },
      ]);
      const { rows: labels } = await client.query(`SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'tenant_a' AND t.typname = 'Role' ORDER BY e.enumsortorder`);
      expect(labels.map((l) => l.enumlabel)).to.deep.equal(['OWNER', 'MEMBER', 'ADMIN', 'GUEST']);
    });
  });
});

describe('a tenant\'s target (pure)', () => {
  const unique = (definition: string, columns: string[]): ConstraintModel => ({
    kind: 'unique',
    definition,
    columns,
    references: null,
    deferrable: false,
    initiallyDeferred: false,
    validated: true,
  });
  const model = (values: string[], extra: Partial<SchemaModel['tables'][string]> = {}): SchemaModel => ({
    tables: { T: { columns: { a: column('text'), b: column('text') }, constraints: {}, indexes: {}, ...extra } },
    enums: { E: { values } },
    sequences: {},
    views: {},
  });
  const sqlOf = (from: SchemaModel, desired: SchemaModel) => diffSchemas(from, tenantTarget(from, desired)).map((s) => s.sql);

  it('keeps the tenant\'s enum order and places a missing value after the one it follows in the schema', () => {
    expect(tenantTarget(model(['C', 'A']), model(['A', 'B', 'C'])).enums.E.values).to.deep.equal(['C', 'A', 'B']);
    expect(sqlOf(model(['C', 'A']), model(['A', 'B', 'C']))).to.deep.equal([`ALTER TYPE "E" ADD VALUE 'B'`]);
    expect(sqlOf(model(['B', 'C']), model(['A', 'B', 'C']))).to.deep.equal([`ALTER TYPE "E" ADD VALUE 'A' BEFORE 'B'`]);
  });

  it('still rebuilds an enum that loses a value (DATA_LOSS), in the schema\'s order', () => {
    const steps = diffSchemas(model(['X', 'B', 'A']), tenantTarget(model(['X', 'B', 'A']), model(['A', 'B'])));
    expect(steps[0].sql).to.equal(`CREATE TYPE "E_new" AS ENUM ('A', 'B')`);
    expect(steps.flatMap((s) => s.hazards.map((h) => h.type))).to.include('DATA_LOSS');
  });

  it('is the desired model itself when the tenant differs in nothing Prisma ignores (the common case costs no copy)', () => {
    const desired = model(['A', 'B']);
    expect(tenantTarget(model(['A']), desired)).to.equal(desired);
  });

  it('takes a UNIQUE constraint for the unique index of the same columns only when it is plain; under another name, the first by name', () => {
    const index = { definition: 'CREATE UNIQUE INDEX ON "T" USING btree (a)', unique: true, columns: ['a'] };
    const desired = model(['A'], { indexes: { T_a_key: index } });
    const tenant = model(['A'], { constraints: { k2: unique('UNIQUE (a)', ['a']), k1: unique('UNIQUE (a) DEFERRABLE INITIALLY DEFERRED', ['a']) } });
    expect(sqlOf(tenant, desired)).to.deep.equal(['ALTER TABLE "T" DROP CONSTRAINT "k2"', 'ALTER TABLE "T" RENAME CONSTRAINT "k1" TO "T_a_key"']);
    const included = model(['A'], { constraints: { T_a_key: unique('UNIQUE (a) INCLUDE (b)', ['a']) } });
    expect(sqlOf(included, desired)).to.deep.equal(['ALTER TABLE "T" DROP CONSTRAINT "T_a_key"', 'CREATE UNIQUE INDEX "T_a_key" ON "T" USING btree (a)']);
  });

  it('is used by plans made from Prisma, not by exact ones (rollback, reset)', () => {
    const tenant = model(['B', 'A']);
    const plan = (prisma: boolean) =>
      buildPlan({
        kind: 'migrate',
        name: 'x',
        createdAt: new Date(0),
        schema: { folder: 'prisma/schema', files: [], hash: 'h', text: '' },
        databases: [{ name: 'main', desired: model(['A', 'B']), prisma, tenants: [{ schema: 't', model: tenant }] }],
        lockTimeoutMs: 1000,
      });
    expect(plan(true).cohorts).to.deep.equal([]);
    expect(plan(false).cohorts[0].steps[0].sql).to.equal(`CREATE TYPE "E_new" AS ENUM ('A', 'B')`);
  });
});
