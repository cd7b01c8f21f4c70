/**
 * Comments on tables and columns (src/diff/objects/comment.ts): set when new
 * or changed, removed when they go but their object stays, set again on an
 * object the plan creates, never touched when their object goes; and the
 * statements run on a real server with the comments PostgreSQL then holds.
 */
import { expect } from 'chai';
import { emptySchemaModel, type CommentModel, type SchemaModel } from '../../src/catalog/model.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { buildPlan } from '../../src/plan/build.js';
import { readPlan } from '../../src/plan/file.js';
import { checkPlanSteps } from '../../src/plan/stepCheck.js';
import type { TenantsConfig } from '../../src/config/tenants.js';
import { useFreshDatabase } from '../harness/database.js';
import { column, FIXED_CREATED_AT, writeTempPlan } from '../support/synthetic-plan.js';
import { runSteps } from '../support/tenants.js';

const onTable = (table: string, text: string): [string, CommentModel] => [`table "${table}"`, { on: { kind: 'table', table }, text }];
const onColumn = (table: string, name: string, text: string): [string, CommentModel] => [`column "${table}"."${name}"`, { on: { kind: 'column', table, column: name }, text }];

/** A model with a table "User" (id, email, and `extra` columns) and these comments (none: no `comments` key). */
function model(comments: [string, CommentModel][], extra: Record<string, ReturnType<typeof column>> = {}): SchemaModel {
  const m = emptySchemaModel();
  m.tables.User = { columns: { id: column('integer'), email: column('text'), ...extra }, constraints: {}, indexes: {} };
  if (comments.length) m.comments = Object.fromEntries(comments);
  return m;
}

const sqlOf = (from: SchemaModel, to: SchemaModel) => diffSchemas(from, to).map((s) => s.sql);

describe('comments on tables and columns', function () {
  this.timeout(120_000);

  it('sets a new or changed comment, with a quoted literal, and removes one that goes', () => {
    const from = model([onTable('User', 'People'), onColumn('User', 'email', 'old')]);
    const to = model([onColumn('User', 'email', "it's unique"), onColumn('User', 'id', 'key')]);
    const steps = diffSchemas(from, to);
    expect(steps.map((s) => s.sql)).to.deep.equal([
      `COMMENT ON COLUMN "User"."email" IS 'it''s unique'`,
      `COMMENT ON COLUMN "User"."id" IS 'key'`,
      `COMMENT ON TABLE "User" IS NULL`,
    ]);
    expect(steps.map((s) => [s.action, s.object])).to.deep.equal([
      ['alter', 'comment on column "User"."email"'],
      ['create', 'comment on column "User"."id"'],
      ['drop', 'comment on table "User"'],
    ]);
    expect(steps[2].target).to.deep.equal({ kind: 'comment', on: { kind: 'table', table: 'User' } });
    expect(steps.flatMap((s) => s.hazards)).to.deep.equal([]);
    expect(sqlOf(to, to)).to.deep.equal([]);
  });

  it('models without comments diff as before: no comment steps, no `comments` key needed', () => {
    expect(sqlOf(model([]), model([]))).to.deep.equal([]);
    expect(sqlOf(model([]), { ...model([]), comments: {} })).to.deep.equal([]);
  });

  it('comments a table or column the plan creates after creating it, and leaves a dropped one\'s comment alone', () => {
    const created = sqlOf(emptySchemaModel(), model([onTable('User', 'People'), onColumn('User', 'email', 'Address')]));
    expect(created[0]).to.match(/^CREATE TABLE "User"/);
    expect(created.slice(1)).to.deep.equal([`COMMENT ON COLUMN "User"."email" IS 'Address'`, `COMMENT ON TABLE "User" IS 'People'`]);

    const withBio = model([onColumn('User', 'bio', 'About')], { bio: column('text', false) });
    expect(sqlOf(model([]), withBio)).to.deep.equal([`ALTER TABLE "User" ADD COLUMN "bio" text`, `COMMENT ON COLUMN "User"."bio" IS 'About'`]);
    // The column (and its comment) goes; the table (and its comment) goes.
    expect(sqlOf(withBio, model([]))).to.deep.equal([`ALTER TABLE "User" DROP COLUMN "bio"`]);
    expect(sqlOf(model([onTable('User', 'People')]), emptySchemaModel())).to.deep.equal([`DROP TABLE "User"`]);

    // A column dropped and added again (a change of type Prisma does not convert) loses its comment: it is set again.
    const asTimestamp = model([onColumn('User', 'bio', 'About')], { bio: column('timestamp(3) without time zone', false) });
    const asBool = model([onColumn('User', 'bio', 'About')], { bio: column('boolean', false) });
    expect(sqlOf(asTimestamp, asBool)).to.deep.equal([`ALTER TABLE "User" DROP COLUMN "bio"`, `ALTER TABLE "User" ADD COLUMN "bio" boolean`, `COMMENT ON COLUMN "User"."bio" IS 'About'`]);
  });

  it('a plan holding comment steps is a valid plan file whose steps the step check passes', () => {
    const plan = buildPlan({
      kind: 'migrate',
      name: 'comments',
      createdAt: FIXED_CREATED_AT,
      schema: { folder: 'prisma/schema', files: ['prisma/schema/schema.prisma'], hash: 'sha256:' + 'ab'.repeat(32), text: '// models' },
      databases: [{ name: 'main', desired: model([onTable('User', 'People'), onColumn('User', 'email', "it's")]), tenants: [{ schema: 'tenant_a', model: model([onColumn('User', 'id', 'x')]) }] }],
      lockTimeoutMs: 5000,
    });
    const read = readPlan(writeTempPlan(plan, 'tm-comments-'));
    expect(read.cohorts[0].steps.map((s) => s.object)).to.deep.equal(['comment on column "User"."email"', 'comment on column "User"."id"', 'comment on table "User"']);
    const config = {
      path: '/x/tenants.yaml',
      metadataSchema: 'tm',
      databases: [{ name: 'main', urlEnv: 'DATABASE_URL', tenants: [{ schema: 'tenant_a', labels: {} }], discover: [], extensionSchema: 'public' }],
      policy: { allowHazards: [] },
      waves: [],
    } as unknown as TenantsConfig;
    expect(checkPlanSteps(read, config)).to.deep.equal([]);
  });

  describe('on a real server', () => {
    const db = useFreshDatabase();

    it('leaves the comments PostgreSQL holds as the model says', async () => {
      const comments = async () =>
        (
          await db.query<{ objsubid: number; description: string }>(
            `SELECT d.objsubid, d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'cm_t' ORDER BY 1`,
          )
        ).rows.map((r) => [r.objsubid, r.description]);
      const first = model([onTable('User', "People's table; -- not SQL"), onColumn('User', 'email', 'Address')], { bio: column('timestamp(3) without time zone', false) });
      await runSteps(db.url, 'cm_t', diffSchemas(emptySchemaModel(), first), true);
      expect(await comments()).to.deep.equal([
        [0, "People's table; -- not SQL"],
        [2, 'Address'],
      ]);
      const second = model([onColumn('User', 'email', 'Email address'), onColumn('User', 'bio', 'About')], { bio: column('boolean', false) });
      await runSteps(db.url, 'cm_t', diffSchemas(first, second));
      expect(await comments()).to.deep.equal([
        [2, 'Email address'],
        [4, 'About'],
      ]);
    });
  });
});
