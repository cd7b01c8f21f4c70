/**
 * The diff against a real server: for each kind of change to a Prisma
 * schema, a tenant built from the old schema gets the right steps and hazards,
 * and after running them it is exactly what Prisma creates for the new schema
 * (so planning again gives nothing).
 */
import { expect } from 'chai';
import { emptySchemaModel } from '../../src/catalog/model.js';
import { fingerprint } from '../../src/catalog/fingerprint.js';
import { diffSchemas } from '../../src/diff/diff.js';
import type { HazardType } from '../../src/diff/step.js';
import { useFreshDatabase } from '../harness/database.js';
import { createTenant, desiredModel, introspectOne, runSteps, withClient } from '../support/tenants.js';

const BASE = `
enum Role {
  OWNER
  MEMBER
}

model User {
  id      Int      @id @default(autoincrement())
  email   String   @unique
  name    String?
  age     Int
  role    Role     @default(MEMBER)
  posts   Post[]
}

model Post {
  id       Int    @id @default(autoincrement())
  title    String
  authorId Int
  author   User   @relation(fields: [authorId], references: [id], onDelete: Cascade)

  @@index([title])
}
`;

interface Change {
  name: string;
  edit: (base: string) => string;
  /** Fragments each of which some step's SQL must contain. */
  sql: string[];
  hazards: HazardType[];
}

const replace = (from: string, to: string) => (s: string) => {
  if (!s.includes(from)) throw new Error(`test bug: ${JSON.stringify(from)} not in base schema`);
  return s.replace(from, to);
};

const CHANGES: Change[] = [
  { name: 'add an optional column', edit: replace('age     Int', 'age     Int\n  bio     String?'), sql: ['ADD COLUMN "bio" text'], hazards: [] },
  { name: 'drop a column', edit: replace('  name    String?\n', ''), sql: ['DROP COLUMN "name"'], hazards: ['DATA_LOSS'] },
  {
    name: 'change a column type (Int to BigInt)',
    edit: replace('age     Int', 'age     BigInt'),
    sql: ['ALTER COLUMN "age" TYPE bigint'],
    hazards: ['TABLE_REWRITE', 'ACCESS_EXCLUSIVE_LOCK'],
  },
  {
    name: 'narrow a varchar',
    edit: (s) => replace('title    String', 'title    String @db.VarChar(10)')(s),
    sql: ['TYPE character varying(10)'],
    hazards: ['TABLE_REWRITE', 'ACCESS_EXCLUSIVE_LOCK', 'MAY_FAIL_ON_DATA', 'DATA_LOSS'],
  },
  { name: 'make a column required', edit: replace('name    String?', 'name    String'), sql: ['ALTER COLUMN "name" SET NOT NULL'], hazards: ['MAY_FAIL_ON_DATA', 'ACCESS_EXCLUSIVE_LOCK'] },
  { name: 'make a column optional', edit: replace('age     Int', 'age     Int?'), sql: ['ALTER COLUMN "age" DROP NOT NULL'], hazards: [] },
  { name: 'add a default', edit: replace('age     Int', 'age     Int @default(18)'), sql: ['ALTER COLUMN "age" SET DEFAULT 18'], hazards: [] },
  { name: 'add an index', edit: replace('@@index([title])', '@@index([title])\n  @@index([authorId])'), sql: ['CREATE INDEX "Post_authorId_idx" ON "Post"'], hazards: ['INDEX_BUILD'] },
  { name: 'drop an index', edit: replace('@@index([title])', ''), sql: ['DROP INDEX "Post_title_idx"'], hazards: [] },
  {
    name: 'add a unique constraint',
    edit: replace('name    String?', 'name    String? @unique'),
    sql: ['CREATE UNIQUE INDEX "User_name_key" ON "User"'],
    hazards: ['INDEX_BUILD', 'MAY_FAIL_ON_DATA'],
  },
  { name: 'drop a unique constraint', edit: replace('email   String   @unique', 'email   String'), sql: ['DROP INDEX "User_email_key"'], hazards: [] },
  {
    name: 'change a foreign key onDelete',
    edit: replace('onDelete: Cascade', 'onDelete: Restrict'),
    sql: ['DROP CONSTRAINT "Post_authorId_fkey"', 'ON DELETE RESTRICT'],
    hazards: ['MAY_FAIL_ON_DATA'],
  },
  { name: 'add an enum value', edit: replace('  OWNER\n', '  OWNER\n  ADMIN\n'), sql: [`ALTER TYPE "Role" ADD VALUE 'ADMIN' BEFORE 'MEMBER'`], hazards: [] },
  {
    name: 'remove an enum value',
    edit: replace('  OWNER\n', ''),
    sql: ['CREATE TYPE "Role_new"', 'USING ("role"::text::"Role_new")', 'DROP TYPE "Role_old"'],
    hazards: ['DATA_LOSS', 'MAY_FAIL_ON_DATA', 'TABLE_REWRITE', 'ACCESS_EXCLUSIVE_LOCK'],
  },
  {
    name: 'add a table',
    edit: (s) => s + '\nmodel Tag {\n  id   Int    @id @default(autoincrement())\n  name String @unique\n}\n',
    sql: ['CREATE SEQUENCE "Tag_id_seq"', 'CREATE TABLE "Tag"', 'CREATE UNIQUE INDEX "Tag_name_key"', 'OWNED BY "Tag"."id"'],
    hazards: [],
  },
  {
    name: 'drop a table',
    edit: (s) => replace('  posts   Post[]\n', '')(s.slice(0, s.indexOf('model Post'))),
    sql: ['DROP TABLE "Post"'],
    hazards: ['DATA_LOSS'],
  },
  {
    name: 'rename a table with @@map',
    edit: replace('@@index([title])', '@@index([title])\n  @@map("posts")'),
    sql: ['DROP TABLE "Post"', 'CREATE TABLE "posts"'],
    hazards: ['DATA_LOSS'],
  },
  {
    name: 'add an implicit many-to-many relation',
    edit: (s) =>
      replace('  posts   Post[]\n', '  posts   Post[]\n  teams   Team[]\n')(s) + '\nmodel Team {\n  id    Int    @id @default(autoincrement())\n  users User[]\n}\n',
    sql: ['CREATE TABLE "_TeamToUser"', 'CONSTRAINT "_TeamToUser_AB_pkey" PRIMARY KEY', 'ADD CONSTRAINT "_TeamToUser_A_fkey"'],
    hazards: [],
  },
];

describe('diff against a real server: each change converges to what Prisma creates', () => {
  const db = useFreshDatabase();

  it('plans a new tenant as the full structure and converges to no changes', async () => {
    const desired = await desiredModel(db.url, BASE);
    const steps = diffSchemas(emptySchemaModel(), desired);
    expect(steps.map((s) => s.sql).join('\n')).to.contain('CREATE TABLE "User"').and.contain('CREATE TYPE "Role"');
    expect(steps.flatMap((s) => s.hazards)).to.deep.equal([]);
    await createTenant(db.url, 'tenant_new', desired);
    const actual = await introspectOne(db.url, 'tenant_new');
    expect(fingerprint(actual!)).to.equal(fingerprint(desired));
    expect(diffSchemas(actual!, desired)).to.deep.equal([]);
  });

  CHANGES.forEach((change, i) => {
    it(`${change.name}: right steps and hazards, then no changes`, async () => {
      const schema = `tenant_change_${i}`;
      const before = await desiredModel(db.url, BASE);
      const after = await desiredModel(db.url, change.edit(BASE));
      await createTenant(db.url, schema, before);
      const steps = diffSchemas(before, after);
      const sql = steps.map((s) => s.sql).join(';\n');
      for (const fragment of change.sql) expect(sql).to.contain(fragment);
      const hazards = [...new Set(steps.flatMap((s) => s.hazards.map((h) => h.type)))].sort();
      expect(hazards).to.deep.equal([...change.hazards].sort());
      await runSteps(db.url, schema, steps);
      const actual = (await introspectOne(db.url, schema))!;
      expect(diffSchemas(actual, after), 're-planning after the steps').to.deep.equal([]);
      expect(fingerprint(actual)).to.equal(fingerprint(after));
    });
  });

  it('keeps the rows of a table when a column is added and a value of an enum removed', async () => {
    const before = await desiredModel(db.url, BASE);
    const after = await desiredModel(db.url, replace('  OWNER\n', '')(BASE).replace('age     Int', 'age     Int\n  bio     String?'));
    await createTenant(db.url, 'tenant_rows', before);
    await withClient(db.url, (c) => c.query(`insert into tenant_rows."User"(email, age) values ('a@x', 30), ('b@x', 40)`));
    await runSteps(db.url, 'tenant_rows', diffSchemas(before, after));
    const { rows } = await withClient(db.url, (c) => c.query(`select email, age, role::text from tenant_rows."User" order by email`));
    expect(rows).to.deep.equal([
      { email: 'a@x', age: 30, role: 'MEMBER' },
      { email: 'b@x', age: 40, role: 'MEMBER' },
    ]);
  });
});
