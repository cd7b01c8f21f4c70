/**
 * Renamed indexes, foreign keys and constraints (same definition, new name)
 * are renamed as Prisma's engine does (ALTER INDEX … RENAME TO, ALTER TABLE …
 * RENAME CONSTRAINT), not dropped and rebuilt: through the real binary, the
 * plan holds only renames, apply keeps every row, and planning again gives
 * nothing. When several objects match, the pairing is by name order.
 */
import { expect } from 'chai';
import type { SchemaModel } from '../../src/catalog/model.js';
import { diffSchemas, indexesToBuild } from '../../src/diff/diff.js';
import { useFreshDatabase } from '../harness/database.js';
import { DATASOURCE_BLOCK, fleetProject, output, removeFleetProjects, replaceOnce, type FleetProject } from '../support/fleet.js';
import { withClient } from '../support/tenants.js';
import { column } from '../support/synthetic-plan.js';

const SCHEMA = `${DATASOURCE_BLOCK}
model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  posts Post[]
}

model Post {
  id          Int    @id @default(autoincrement())
  title       String
  authorEmail String
  author      User   @relation(fields: [authorEmail], references: [email])

  @@index([title])
}
`;

const RENAMED = [
  ['id    Int    @id @default(autoincrement())', 'id    Int    @id(map: "User_pk") @default(autoincrement())'],
  ['email String @unique', 'email String @unique(map: "User_email_unique")'],
  ['references: [email])', 'references: [email], map: "Post_author_fk")'],
  ['@@index([title])', '@@index([title], map: "Post_title_renamed_idx")'],
].reduce((text, [from, to]) => replaceOnce(text, from, to), SCHEMA);

describe('renamed indexes and constraints', function () {
  this.timeout(120_000);

  describe('through the real binary', () => {
    const db = useFreshDatabase();
    after(removeFleetProjects);
    let project: FleetProject;

    before(async () => {
      project = fleetProject({ tenants: ['tenant_a', 'tenant_b'], prismaFiles: { 'schema.prisma': SCHEMA } });
      const created = await project.plan(db, 'create');
      expect((await project.tm(db, ['apply', created.path])).code).to.equal(0);
      await withClient(db.url, async (client) => {
        for (const tenant of ['tenant_a', 'tenant_b']) {
          await client.query(`INSERT INTO ${tenant}."User" (email) VALUES ('a@x'), ('b@x')`);
          await client.query(`INSERT INTO ${tenant}."Post" (title, "authorEmail") VALUES ('one', 'a@x'), ('two', 'b@x')`);
        }
        // tenant_a has the unique index as a hand-written UNIQUE constraint (Post's foreign key on it): renamed too.
        await client.query(`SET search_path TO tenant_a;
          ALTER TABLE "Post" DROP CONSTRAINT "Post_authorEmail_fkey";
          DROP INDEX "User_email_key";
          ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE (email);
          ALTER TABLE "Post" ADD CONSTRAINT "Post_authorEmail_fkey" FOREIGN KEY ("authorEmail") REFERENCES "User"(email) ON UPDATE CASCADE ON DELETE RESTRICT`);
      });
    });

    it('plans renames only; apply keeps the rows; planning again gives nothing', async () => {
      project.writePrisma('schema.prisma', RENAMED);
      const plan = await project.plan(db, 'rename');
      const bySchema = Object.fromEntries(plan.json.cohorts.map((c: any) => [c.tenants[0].schema, c.steps.map((s: any) => s.sql)]));
      expect(bySchema.tenant_b).to.deep.equal([
        'ALTER INDEX "Post_title_idx" RENAME TO "Post_title_renamed_idx"',
        'ALTER TABLE "Post" RENAME CONSTRAINT "Post_authorEmail_fkey" TO "Post_author_fk"',
        'ALTER INDEX "User_email_key" RENAME TO "User_email_unique"',
        'ALTER TABLE "User" RENAME CONSTRAINT "User_pkey" TO "User_pk"',
      ]);
      expect(bySchema.tenant_a).to.deep.equal([
        'ALTER INDEX "Post_title_idx" RENAME TO "Post_title_renamed_idx"',
        'ALTER TABLE "Post" RENAME CONSTRAINT "Post_authorEmail_fkey" TO "Post_author_fk"',
        'ALTER TABLE "User" RENAME CONSTRAINT "User_email_key" TO "User_email_unique"',
        'ALTER TABLE "User" RENAME CONSTRAINT "User_pkey" TO "User_pk"',
      ]);
      expect(plan.json.summary.hazards).to.deep.equal([]);

      const apply = await project.tm(db, ['apply', plan.path]);
      expect(apply.code, output(apply)).to.equal(0);
      await withClient(db.url, async (client) => {
        for (const tenant of ['tenant_a', 'tenant_b']) {
          const { rows } = await client.query(`SELECT p.title, u.email FROM ${tenant}."Post" p JOIN ${tenant}."User" u ON u.email = p."authorEmail" ORDER BY p.title`);
          expect(rows, tenant).to.deep.equal([
            { title: 'one', email: 'a@x' },
            { title: 'two', email: 'b@x' },
          ]);
        }
      });
      const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
      expect(again.code, output(again)).to.equal(0);
      expect(again.stdout).to.contain('No changes.');
    });
  });

  describe('pairing (pure)', () => {
    const index = (definition: string) => ({ definition, unique: false, columns: ['title'] });
    const model = (indexes: Record<string, ReturnType<typeof index>>): SchemaModel => ({
      tables: { Post: { columns: { title: column('text'), body: column('text') }, constraints: {}, indexes } },
      enums: {},
      sequences: {},
      views: {},
    });
    const same = 'CREATE INDEX ON "Post" USING btree (title)';

    it('pairs by name order when several objects have the same definition, whatever order the models list them in', () => {
      const from = model({ b_old: index(same), a_old: index(same) });
      const to = model({ z_new: index(same), y_new: index(same) });
      const sql = ['ALTER INDEX "a_old" RENAME TO "y_new"', 'ALTER INDEX "b_old" RENAME TO "z_new"'];
      expect(diffSchemas(from, to).map((s) => s.sql)).to.deep.equal(sql);
      expect(diffSchemas(model({ a_old: index(same), b_old: index(same) }), model({ y_new: index(same), z_new: index(same) })).map((s) => s.sql)).to.deep.equal(sql);
    });

    it('renames only what has the same definition; the rest is dropped and created', () => {
      const from = model({ old: index(same), other: index('CREATE INDEX ON "Post" USING btree (body)') });
      const to = model({ new: index(same), other2: index('CREATE INDEX ON "Post" USING hash (body)') });
      expect(diffSchemas(from, to).map((s) => s.sql)).to.deep.equal([
        'DROP INDEX "other"',
        'ALTER INDEX "old" RENAME TO "new"',
        'CREATE INDEX "other2" ON "Post" USING hash (body)',
      ]);
    });

    it('with --concurrent-indexes, a renamed index is not one to build (the state between the transaction and the builds keeps it)', () => {
      const from = model({ old: index(same) });
      const to = model({ new: index(same), other: index('CREATE INDEX ON "Post" USING btree (body)') });
      expect(indexesToBuild(from, to)).to.deep.equal([{ table: 'Post', name: 'other' }]);
      const steps = diffSchemas(from, to, { concurrentIndexes: true });
      expect(steps.map((s) => [s.sql, s.transactional])).to.deep.equal([
        ['ALTER INDEX "old" RENAME TO "new"', true],
        ['CREATE INDEX CONCURRENTLY "other" ON "Post" USING btree (body)', false],
      ]);
    });
  });
});
