/**
 * conformance/prismaJudge.ts: Prisma's own schema engine diffing a live
 * tenant schema against the Prisma files. A tenant tm made draws no drift; a
 * change made by hand draws the statement Prisma would write for it, and the
 * touched-object parser (conformance/touched.ts) names the object. A
 * hand-written CHECK constraint makes the engine read "char" catalog columns
 * (contype) that @prisma/adapter-pg alone cannot hand over as characters.
 */
import { expect } from 'chai';
import { emptySchemaModel } from '../../src/catalog/model.js';
import { desiredState } from '../../src/desired/index.js';
import { diffSchemas } from '../../src/diff/diff.js';
import { prismaDrift, prismaMigration } from '../../conformance/prismaJudge.js';
import { applySteps, withClient } from '../../conformance/support.js';
import { touchedObjects } from '../../conformance/touched.js';
import { useFreshDatabase } from '../harness/database.js';

const SCHEMA = `
datasource db {
  provider = "postgresql"
}

enum Role {
  ADMIN
  MEMBER
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
  role  Role   @default(MEMBER)
  tags  String[]
  posts Post[]
}

model Post {
  id       String @id
  title    String @db.VarChar(200)
  authorId Int
  author   User   @relation(fields: [authorId], references: [id], onDelete: Cascade)

  @@index([authorId, title])
}
`;
const FILES = [{ path: 'schema.prisma', content: SCHEMA }];

describe('Prisma judge (conformance/prismaJudge.ts)', function () {
  this.timeout(60_000);
  const db = useFreshDatabase();

  before(async () => {
    await withClient(db.url, async (client) => {
      const desired = (await desiredState(FILES, db.url, client)).model;
      await applySteps(client, [{ schema: 'tenant_a', steps: diffSchemas(emptySchemaModel(), desired), create: true }]);
    });
  });

  it('sees no drift in a tenant tm made from the schema', async () => {
    expect(await prismaDrift(db.url, 'tenant_a', FILES)).to.deep.equal([]);
  });

  it('names a column added by hand, and only that', async () => {
    await db.query(`create schema tenant_b`);
    await db.query(`create table tenant_b.keep_out (id int)`); // another schema's table: not this tenant's business
    await db.query(`alter table tenant_a."User" add column nickname text`);
    try {
      const drift = await prismaDrift(db.url, 'tenant_a', FILES);
      expect(drift).to.deep.equal(['ALTER TABLE "User" DROP COLUMN "nickname"']);
      expect(touchedObjects(drift)).to.deep.equal(['column "User"."nickname"']);
    } finally {
      await db.query(`alter table tenant_a."User" drop column nickname`);
    }
  });

  it('reads a tenant with a hand-written CHECK constraint (the engine decodes "char" catalog columns) and ignores the constraint', async () => {
    await db.query(`alter table tenant_a."Post" add constraint title_not_blank check (title <> '')`);
    try {
      expect(await prismaDrift(db.url, 'tenant_a', FILES)).to.deep.equal([]);
    } finally {
      await db.query(`alter table tenant_a."Post" drop constraint title_not_blank`);
    }
  });

  it('ignores a hand-written partial index (Prisma 7 cannot express one) but names a plain one', async () => {
    await db.query(`create index "Post_title_partial" on tenant_a."Post" (title) where title <> ''`);
    await db.query(`create index "Post_title_plain" on tenant_a."Post" (title)`);
    try {
      expect(await prismaDrift(db.url, 'tenant_a', FILES)).to.deep.equal(['DROP INDEX "Post_title_plain"']);
    } finally {
      await db.query(`drop index tenant_a."Post_title_partial", tenant_a."Post_title_plain"`);
    }
  });

  it('names a dropped foreign key and a changed index', async () => {
    await db.query(`alter table tenant_a."Post" drop constraint "Post_authorId_fkey"`);
    await db.query(`drop index tenant_a."Post_authorId_title_idx"`);
    await db.query(`create index "Post_authorId_title_idx" on tenant_a."Post" ("authorId")`);
    const drift = await prismaDrift(db.url, 'tenant_a', FILES);
    expect(touchedObjects(drift)).to.deep.equal(['constraint "Post"."Post_authorId_fkey"', 'index "Post_authorId_title_idx"']);
  });

  it('gives the migration between two versions of the files, by object', async () => {
    const next = SCHEMA.replace('  tags  String[]\n', '  tags  String[]\n  bio   String?\n').replace('  MEMBER\n', '  MEMBER\n  GUEST\n');
    const migration = await prismaMigration(db.url, FILES, [{ path: 'schema.prisma', content: next }]);
    expect(touchedObjects(migration)).to.deep.equal(['column "User"."bio"', 'enum "Role"']);
  });
});
