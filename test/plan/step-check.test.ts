/**
 * src/plan/stepCheck.ts: every step tm itself writes passes (a synthetic plan
 * with every kind of change, and real plans of the example schema: create,
 * change, rollback with restores), and what a tm plan cannot hold is refused
 * with its reason.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects } from '../support/fleet.js';
import { goldenPlan } from '../support/synthetic-plan.js';
import { assertPlanSteps, checkPlanSteps, checkTenantStep, type StepContext } from '../../src/plan/stepCheck.js';
import { loadTenantsConfig } from '../../src/config/tenants.js';
import type { TenantsConfig } from '../../src/config/tenants.js';
import { makeStep, type Step } from '../../src/diff/step.js';
import { ref, type ObjectRef } from '../../src/catalog/objectRef.js';

const CONFIG: TenantsConfig = {
  path: '/x/tenants.yaml',
  metadataSchema: 'tm',
  databases: [{ name: 'main', urlEnv: 'DATABASE_URL', tenants: [{ schema: 'tenant_a', labels: {} }, { schema: 'tenant_b', labels: {} }], discover: [], extensionSchema: 'public' }],
  policy: { allowHazards: [] },
  waves: [],
} as unknown as TenantsConfig;

const context: StepContext = {
  schemas: new Set(['pg_catalog', 'public']),
  relations: new Set(['User', 'Post', 'h_victim']),
  foreign: new Set(['tenant_a', 'tenant_b', 'tm', 'tm_backup', 'information_schema', 'pg_toast']),
  backupSchema: 'tm_backup',
  backupTables: new Set(['b1_tenant_a_User']),
};
const step = (sql: string, target: ObjectRef = ref.table('User'), transactional = true): Step => makeStep('create', target, sql, [], transactional);

describe('plan step check (what a plan may run)', function () {
  this.timeout(240_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);

  it('passes statements of every shape tm writes', () => {
    const ok = [
      'CREATE TABLE "User" (\n    "id" integer NOT NULL,\n    "email" public.citext NOT NULL,\n    CONSTRAINT "User_pkey" PRIMARY KEY (id)\n)',
      'CREATE UNIQUE INDEX "User_email_key" ON "User" USING btree (email)',
      'CREATE INDEX "User_name_idx" ON "User" USING gin (name public.gin_trgm_ops)',
      'ALTER TABLE "User" ALTER COLUMN "n" TYPE bigint USING "n"::bigint',
      'ALTER TABLE "User" ADD CONSTRAINT "User_a_fkey" FOREIGN KEY ("a") REFERENCES "Post"(id) ON UPDATE CASCADE ON DELETE CASCADE',
      'ALTER SEQUENCE "User_id_seq" OWNED BY "User"."id"',
      "CREATE TYPE \"Role\" AS ENUM ('A', 'B')",
      "ALTER TYPE \"Role\" ADD VALUE 'C' BEFORE 'B'",
      'ALTER INDEX "a" RENAME TO "b"',
      'ALTER TABLE "User" RENAME CONSTRAINT "a" TO "b"',
      'CREATE VIEW "v" AS SELECT u.id, "User".email FROM "User" u JOIN "Post" p ON p.id = u.id',
      'DROP TABLE "Post"',
      'CREATE VIEW "tree" AS WITH RECURSIVE hierarchy AS (SELECT "User".id, 0 AS level FROM "User" UNION ALL SELECT u.id, h.level + 1 FROM "User" u JOIN hierarchy h ON u.id = h.id) SELECT hierarchy.id FROM hierarchy',
      "ALTER TABLE \"User\" ALTER COLUMN \"id\" SET DEFAULT nextval('\"User_id_seq\"'::regclass)",
      'ALTER TABLE "User" ALTER COLUMN "d" SET DEFAULT CURRENT_TIMESTAMP',
      'ALTER TABLE "User" ALTER COLUMN "x" TYPE pg_catalog.int8 USING "x"::pg_catalog.int8',
    ];
    for (const sql of ok) expect(checkTenantStep(step(sql), context), sql).to.equal(null);
    expect(checkTenantStep(step('CREATE INDEX CONCURRENTLY "i" ON "User" USING btree (name)', ref.index('User', 'i'), false), context)).to.equal(null);
    const restore = step('UPDATE "User" AS t SET "name" = b."name"::text FROM "tm_backup"."b1_tenant_a_User" AS b WHERE t."id" = b."id"::integer', ref.data('User', 'name'));
    expect(checkTenantStep(restore, context)).to.equal(null);
  });

  it('passes comments on the tenant\'s own tables and columns, and refuses any other COMMENT', () => {
    const onTable = ref.comment({ kind: 'table', table: 'User' });
    const onColumn = ref.comment({ kind: 'column', table: 'User', column: 'email' });
    for (const [sql, target] of [
      ["COMMENT ON TABLE \"User\" IS 'People who sign in; it''s -- not a comment'", onTable],
      ['COMMENT ON TABLE "User" IS NULL', onTable],
      ["COMMENT ON COLUMN \"User\".\"email\" IS 'Unique; /* kept */'", onColumn],
      ['COMMENT ON COLUMN "User"."email" IS NULL', onColumn],
    ] as const) {
      expect(checkTenantStep(step(sql, target), context), sql).to.equal(null);
    }
    const refused: [string, RegExp][] = [
      ["COMMENT ON TABLE tenant_b.\"User\" IS 'x'", /not a statement tm writes/],
      ["COMMENT ON COLUMN tenant_b.\"User\".\"email\" IS 'x'", /not a statement tm writes/],
      ["COMMENT ON COLUMN tenant_b.\"User\" IS 'x'", /names "tenant_b"\."User"/],
      ["COMMENT ON SCHEMA tenant_b IS 'x'", /not a statement tm writes/],
      ["COMMENT ON ROLE postgres IS 'x'", /not a statement tm writes/],
      ["COMMENT ON FUNCTION f() IS 'x'", /not a statement tm writes/],
      ["COMMENT ON TABLE \"User\" IS 'x' || current_user", /not a statement tm writes/],
      ["COMMENT ON TABLE \"User\" IS $$x$$", /not a statement tm writes/],
      ["COMMENT ON TABLE \"User\" IS 'x'; DROP TABLE \"User\"", /2 statements in one step/],
    ];
    for (const [sql, reason] of refused) expect(checkTenantStep(step(sql, onTable), context), sql).to.match(reason);
  });

  it('refuses what a tm plan cannot hold, saying why', () => {
    const refused: [string, RegExp][] = [
      ['DELETE FROM "User"; COMMIT; BEGIN', /3 statements in one step/],
      ['BEGIN', /not a statement tm writes \(BEGIN\)/],
      ['SAVEPOINT x', /not a statement tm writes/],
      ['PREPARE TRANSACTION \'x\'', /not a statement tm writes/],
      ['DROP TABLE tenant_b."User"', /names "tenant_b"\."User"/],
      ['DROP TABLE "User" CASCADE', /CASCADE/],
      ['CREATE ROLE x SUPERUSER', /not a statement tm writes/],
      ['ALTER ROLE postgres PASSWORD \'x\'', /not a statement tm writes/],
      ['GRANT postgres TO app', /not a statement tm writes/],
      ['CREATE DATABASE x', /not a statement tm writes/],
      ['LOAD \'x\'', /not a statement tm writes/],
      ['SET SESSION AUTHORIZATION postgres', /not a statement tm writes/],
      ['CREATE EXTENSION dblink', /not a statement tm writes/],
      ['CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ select 1 $$', /not a statement tm writes/],
      ['ALTER TABLE "User" OWNER TO app', /OWNER TO is not an action tm writes/],
      ['ALTER TABLE "User" ADD COLUMN "x" text, OWNER TO app', /OWNER TO is not an action/],
      ['ALTER SEQUENCE "s" OWNER TO app', /OWNER is not in tm's statements/],
      ['ALTER TYPE "Role" SET SCHEMA tenant_b', /not a statement tm writes/],
      ['ALTER TABLE "User" ADD COLUMN "x" text DEFAULT dblink_exec(\'host=x\', \'drop table t\')', /calls dblink_exec\(\)/],
      ['CREATE MATERIALIZED VIEW "m" AS SELECT * FROM h_secret.t', /names "h_secret"\."t"/],
      ['CREATE VIEW "v" AS SELECT * FROM "tm"."history"', /names "tm"\."history"/],
      ['ALTER TABLE "User" ADD CONSTRAINT "c" CHECK (set_config(\'role\', \'postgres\', false) IS NOT NULL)', /calls set_config\(\)/],
      ['INSERT INTO "User" SELECT * FROM tm_backup.other', /not a statement tm writes/],
      ['CREATE TABLE "x" AS SELECT 1', /not a statement tm writes/],
      // A qualifier made to look like a table of the tenant ("h_victim" is one in the context below): still another schema where an object is named.
      ['DROP TABLE h_victim.victim', /names "h_victim"\."victim"/],
      ['CREATE VIEW "v" AS SELECT 1 FROM "User" u, h_victim.victim', /names "h_victim"\."victim"/],
      ['CREATE VIEW "v" AS SELECT 1 FROM "User" JOIN h_victim.victim ON true', /names "h_victim"\."victim"/],
      ['ALTER TABLE "User" ALTER COLUMN "n" TYPE h_victim.victim USING NULL', /names "h_victim"\."victim"/],
      ['CREATE INDEX "i" ON h_victim.victim (id)', /names "h_victim"\."victim"/],
      ['ALTER TABLE "User" ADD CONSTRAINT "c" CHECK (h_victim.f(id))', /names "h_victim"\."f"/],
      ['ALTER TABLE "User" ALTER COLUMN "n" TYPE text USING U&"pg\\005fread_file"(\'/etc/hostname\')', /Unicode-escaped/],
      ['CREATE TABLE "x" ("a" int) TABLESPACE big_disk', /TABLESPACE/],
      ['ALTER TABLE "User" SET TABLESPACE big_disk', /SET TABLESPACE is not an action tm writes/],
      ['CREATE MATERIALIZED VIEW "m" AS SELECT rolname, rolpassword FROM pg_authid', /reads the system catalog pg_authid/],
      ['CREATE VIEW "m" AS SELECT * FROM "User" u JOIN pg_catalog.pg_stat_activity a ON true', /reads the system catalog pg_stat_activity/],
    ];
    for (const [sql, reason] of refused) expect(checkTenantStep(step(sql), context), sql).to.match(reason);
    // A restore reads only the backup tables the rollback names.
    const restore = step('INSERT INTO "User" ("id") OVERRIDING SYSTEM VALUE SELECT b."id" FROM "tm_backup"."b2_tenant_b_User" AS b', ref.data('User', null));
    expect(checkTenantStep(restore, context)).to.match(/names "tm_backup"\."b2_tenant_b_User"/);
    expect(checkTenantStep(step('CREATE INDEX CONCURRENTLY "i" ON "User" (name)'), context)).to.match(/inside the transaction/);
    expect(checkTenantStep(step('DROP TABLE "User"', ref.table('User'), false), context)).to.match(/outside the transaction/);
  });

  it('names cohort and step in its refusal, with control characters of the plan shown escaped', () => {
    const plan = goldenPlan();
    plan.cohorts[0].steps[1] = { ...plan.cohorts[0].steps[1], sql: 'COMMIT; DROP TABLE x\u001b[8m' };
    expect(() => assertPlanSteps(plan, CONFIG)).to.throw(/^Refusing \S+: it holds statements tm does not write[^]*\n {2}cohort c1 step 2 \(.*\): 2 statements in one step: COMMIT; DROP TABLE x\\x1b\[8m$/);
  });

  it('passes every step of a synthetic plan of every kind of change', () => {
    expect(checkPlanSteps(goldenPlan(), CONFIG)).to.deep.equal([]);
  });

  it('passes every step of real plans: create, change with drops and renames, rollback with restores', async () => {
    const project = fleetProject({ tenants: ['sc_a', 'sc_b'] });
    const config = loadTenantsConfig(project.dir);
    const check = (file: string) => checkPlanSteps(JSON.parse(readFileSync(file, 'utf8')), config);
    const first = await project.plan(db, 'init');
    expect(first.json.cohorts[0].steps.length).to.be.above(5);
    expect(check(first.path)).to.deep.equal([]);
    const applied = await project.tm(db, ['apply', first.path]);
    expect(applied.code, output(applied)).to.equal(0);
    const files = ['user.prisma', 'product.prisma'].filter((f) => {
      try {
        project.readPrisma(f);
        return true;
      } catch {
        return false;
      }
    });
    // Every model gains a column; then the rollback drops them again.
    for (const f of files) project.writePrisma(f, project.readPrisma(f).replace(/(\nmodel \w+ \{[^}]*)\n}/g, '$1\n  extraNote String? @db.VarChar(20)\n}'));
    const second = await project.plan(db, 'change');
    expect(check(second.path)).to.deep.equal([]);
    const migrated = await project.tm(db, ['apply', second.path]);
    expect(migrated.code, output(migrated)).to.equal(0);
    const rollback = await project.tm(db, ['plan', '--kind', 'rollback', '--name', 'change', '--schema', 'sc_a', '-o', 'rb.plan.json']);
    expect(rollback.code, output(rollback)).to.equal(0);
    expect(check(path.join(project.dir, 'rb.plan.json'))).to.deep.equal([]);
  });
});
