/**
 * Extensions installed once per database, outside the tenant schemas (as
 * real fleets do: citext, pg_trgm in public): a Prisma schema using their
 * types and operator classes plans, applies and converges; and one whose
 * datasource lists an extension the database lacks gets it created once per
 * database, before the tenants.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { takeExtensions } from '../../src/desired/extensions.js';
import { renderCreateSql } from '../../src/desired/prismaEngine.js';
import { splitStatements } from '../../src/sql/split.js';
import { adminUrl, useFreshDatabase } from '../harness/database.js';
import { DB_ENV, fleetProject, output, removeFleetProjects } from '../support/fleet.js';

const GENERATOR = 'generator client {\n  provider = "prisma-client"\n  output   = "./generated"\n  previewFeatures = ["postgresqlExtensions"]\n}\n';

function prismaFiles(datasource: string, model: string): Record<string, string> {
  return { 'schema.prisma': `${GENERATOR}\ndatasource db {\n  provider = "postgresql"\n${datasource}}\n\n${model}` };
}

const ACCOUNT = `model Account {
  id    Int    @id
  email String @unique @db.Citext
  name  String

  @@index([name(ops: raw("gin_trgm_ops"))], type: Gin)
}
`;

/** The model with one more citext column and trigram index: a change to existing tenants. */
const ACCOUNT_WITH_NICK = ACCOUNT.replace('  name  String\n', '  name  String\n  nick  String? @db.Citext\n').replace(
  '  @@index([name',
  '  @@index([nick(ops: raw("gin_trgm_ops"))], type: Gin)\n  @@index([name',
);

async function installed(db: ReturnType<typeof useFreshDatabase>): Promise<Record<string, string>> {
  const { rows } = await db.query(`select e.extname, n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname <> 'plpgsql'`);
  return Object.fromEntries(rows.map((r) => [r.extname, r.nspname]));
}

describe('the extensions Prisma renders for a datasource', () => {
  it('are taken out of its SQL with their schema and version; anything else stays', async () => {
    const sql = await renderCreateSql(
      [{ path: 'schema.prisma', content: prismaFiles('  extensions = [citext(version: "1.6", schema: "ext"), pg_trgm, uuidOssp(map: "uuid-ossp")]\n', 'model T {\n  id Int @id\n}\n')['schema.prisma'] }],
      adminUrl(),
    );
    const { extensions, rest } = takeExtensions(splitStatements(sql));
    expect(extensions).to.deep.equal([
      { name: 'citext', schema: 'ext', version: '1.6' },
      { name: 'pg_trgm', schema: null, version: null },
      { name: 'uuid-ossp', schema: null, version: null },
    ]);
    expect(rest).to.have.length(1);
    expect(rest[0]).to.match(/^CREATE TABLE "T"/);
  });
});

describe('extensions installed once per database', function () {
  this.timeout(180_000);
  const db = useFreshDatabase();
  after(removeFleetProjects);
  afterEach(async () => {
    await db.query('drop schema if exists ext_a, ext_b, ext_c, ext_d, ext_e, ext_f, tm, tm_backup cascade');
    await db.query('drop extension if exists citext, pg_trgm cascade');
    await db.query('drop schema if exists extensions cascade');
  });

  it('citext and pg_trgm in public: a schema using @db.Citext and gin_trgm_ops plans, applies, changes and converges', async () => {
    await db.query('create extension citext schema public');
    await db.query('create extension pg_trgm schema public');
    const project = fleetProject({ tenants: ['ext_a', 'ext_b', 'ext_c'], prismaFiles: prismaFiles('', ACCOUNT) });

    const plan = await project.plan(db, 'accounts');
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(apply.stdout).to.match(/Apply complete: 3 applied/);
    // The column is citext: equal emails in another case collide.
    await db.query(`insert into ext_a."Account"(id, email, name) values (1, 'Ann@Example.com', 'ann')`);
    const duplicate = await db.query(`insert into ext_a."Account"(id, email, name) values (2, 'ann@example.com', 'ann')`).catch((e) => e);
    expect(String(duplicate)).to.match(/duplicate key/);

    // A change to the existing tenants: apply reads them as plan did, and the quick way checks them by signature.
    project.writePrisma('schema.prisma', prismaFiles('', ACCOUNT_WITH_NICK)['schema.prisma']);
    const change = await project.plan(db, 'nick', 3);
    expect(change.json.cohorts).to.have.length(1);
    const second = await project.tm(db, ['apply', change.path]);
    expect(second.code, output(second)).to.equal(0);
    expect(second.stdout).to.match(/Apply complete: 3 applied, 0 already applied, 0 stale, 0 failed/);

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 3 schemas already match the Prisma schema.');
    expect(await installed(db)).to.deep.equal({ citext: 'public', pg_trgm: 'public' });
  });

  it('an extension the datasource lists and the database lacks: created once, in public, before the tenants', async () => {
    const project = fleetProject({ tenants: ['ext_d', 'ext_e'], prismaFiles: prismaFiles('  extensions = [citext]\n', ACCOUNT.replace(/\n\s*@@index[^\n]*\n/, '\n')) });
    expect(await installed(db)).to.deep.equal({});

    const plan = await project.plan(db, 'with_citext');
    const text = (await project.tm(db, ['show', plan.path])).stdout;
    expect(text.match(/CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "public"/g), text).to.have.length(1);
    expect(await installed(db), 'planning creates nothing').to.deep.equal({});

    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(apply.stdout).to.match(/Apply complete: 2 applied/);
    expect(await installed(db)).to.deep.equal({ citext: 'public' });

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
    expect(again.stdout).to.contain('No changes. 2 schemas already match the Prisma schema.');
  });

  it('extensionSchema in tenants.yaml: missing extensions are created in that schema, existing ones found there', async () => {
    await db.query('create schema extensions');
    await db.query('create extension pg_trgm schema extensions');
    const project = fleetProject({ tenants: ['ext_f'], prismaFiles: prismaFiles('  extensions = [citext, pg_trgm]\n', ACCOUNT) });
    writeFileSync(path.join(project.dir, 'tenants.yaml'), `databases:\n  main:\n    url: env(${DB_ENV})\n    extensionSchema: extensions\n    tenants:\n      - ext_f\n`);

    const plan = await project.plan(db, 'elsewhere');
    const text = (await project.tm(db, ['show', plan.path])).stdout;
    expect(text).to.contain('CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "extensions"');
    expect(text).to.not.contain('"pg_trgm" SCHEMA');
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(await installed(db)).to.deep.equal({ citext: 'extensions', pg_trgm: 'extensions' });
    const { rows } = await db.query(`select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'ext_f."Account"'::regclass and attname = 'email'`);
    expect(rows[0].type).to.equal('extensions.citext');

    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
  });

  it('an extension the datasource lists, installed in another schema than tenants.yaml says: refused, saying where it is', async () => {
    await db.query('create schema extensions');
    await db.query('create extension pg_trgm schema extensions');
    const project = fleetProject({ tenants: ['ext_a'], prismaFiles: prismaFiles('  extensions = [pg_trgm]\n', 'model T {\n  id Int @id\n}\n') });
    const result = await project.tm(db, ['plan', '--name', 'misplaced']);
    expect(result.code, output(result)).to.equal(1);
    expect(result.stderr).to.contain('Extension "pg_trgm" is installed in schema "extensions" of this database, not in "public"');
    expect(result.stderr).to.contain('Set extensionSchema: extensions for this database in tenants.yaml');
  });
});
