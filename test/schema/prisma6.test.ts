/**
 * A Prisma 6 schema, as teams upgrading have it: connection strings in the
 * datasource and preview features Prisma 7 removed. tm accepts it with one
 * warning per key (file:line) and plans from it; a preview feature no Prisma
 * knew is still an error.
 */
import { expect } from 'chai';
import { TmError } from '../../src/errors.js';
import { loadPrismaSchema } from '../../src/schema/load.js';
import { runTm } from '../harness/cli.js';
import { useFreshDatabase } from '../harness/database.js';
import { fleetProject, output, removeFleetProjects, tablesOf } from '../support/fleet.js';
import { removeTempProjects, tempProject } from '../support/temp-project.js';

const PRISMA_6 = [
  'datasource db {',
  '  provider          = "postgresql"',
  '  url               = env("DATABASE_URL")',
  '  directUrl         = "postgresql://app:s3cret@db.example.com:5432/app"',
  '  shadowDatabaseUrl = env("SHADOW_DATABASE_URL") /* a comment that',
  '  goes on */',
  '}',
  '',
  'generator client {',
  '  provider        = "prisma-client-js"',
  '  previewFeatures = ["metrics", "tracing", "views", "relationJoins"] // tracing: deprecated, still accepted',
  '}',
  '',
  'model Account {',
  '  id    Int    @id',
  '  email String @unique',
  '}',
  '',
].join('\n');

const FILE = 'prisma/schema/schema.prisma';

function prisma6Project(text = PRISMA_6): string {
  return tempProject({ 'prisma/schema/product.prisma': null, 'prisma/schema/user.prisma': null, [FILE]: text });
}

describe('a Prisma 6 schema (connection strings, removed preview features)', function () {
  this.timeout(120_000);
  const db = useFreshDatabase();
  after(removeTempProjects);
  after(removeFleetProjects);

  it('loads, with one warning per key naming file:line, and keeps the URLs out of the merged text', async () => {
    const schema = await loadPrismaSchema(prisma6Project());
    expect(schema.models).to.deep.equal(['Account']);
    expect(schema.warnings.map((w) => w.split(/,|, which/)[0])).to.deep.equal([
      `${FILE}:3: datasource "db" sets url`,
      `${FILE}:4: datasource "db" sets directUrl`,
      `${FILE}:5: datasource "db" sets shadowDatabaseUrl`,
      `${FILE}:11: generator "client" lists the preview feature "metrics"`,
    ]);
    for (const key of ['url', 'directUrl', 'shadowDatabaseUrl']) {
      const warning = schema.warnings.find((w) => w.includes(`sets ${key},`))!;
      expect(warning).to.contain('tm never needs a database URL from the schema');
      expect(warning).to.contain('tenants.yaml');
      expect(warning).to.contain('prisma.config.ts');
    }
    expect(schema.mergedText).to.not.match(/DATABASE_URL|s3cret|"metrics"/);
    // Only the keys are gone: the comment, the other preview features and every line number stay.
    expect(schema.mergedText).to.contain('/* a comment that\n  goes on */');
    expect(schema.mergedText).to.contain('previewFeatures = ["tracing", "views", "relationJoins"] // tracing');
    expect(schema.files[0].content.split('\n').length).to.equal(PRISMA_6.split('\n').length);
  });

  it('still refuses a preview feature no Prisma version knew (a typo), naming file:line', async () => {
    let error: unknown;
    try {
      await loadPrismaSchema(prisma6Project(PRISMA_6.replace('"metrics", ', '"metrics", "metrix", ')));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(TmError);
    expect((error as TmError).message).to.equal(`${FILE}:11: The preview feature "metrix" is not known. Expected one of: fullTextSearchPostgres, nativeDistinct, partialIndexes, postgresqlExtensions, relationJoins, schemaEngineDriverAdapters, shardKeys, strictUndefinedChecks, typedSql, views`);
  });

  it('tm validate prints each warning once on stderr and succeeds', async () => {
    const result = await runTm(['validate'], { cwd: prisma6Project(), env: { TM_TEST_DB_URL: db.url } });
    expect(result.code, output(result)).to.equal(0);
    const warnedLines = [...result.stderr.matchAll(/^Warning: prisma\/schema\/schema\.prisma:(\d+): /gm)].map((m) => Number(m[1]));
    expect(warnedLines).to.deep.equal([3, 4, 5, 11]);
    expect(result.stdout).to.contain('Valid');
  });

  it('tm plan and apply a Prisma 6 schema: warned once, the tenant converges', async () => {
    const project = fleetProject({ tenants: ['tenant_p6'], prismaFiles: { 'schema.prisma': PRISMA_6 } });
    const plan = await project.plan(db, 'from_prisma_6');
    expect(plan.result.stderr.match(/^Warning: prisma\/schema\/schema\.prisma:\d+: /gm)).to.have.length(4);
    const apply = await project.tm(db, ['apply', plan.path]);
    expect(apply.code, output(apply)).to.equal(0);
    expect(await tablesOf(db, 'tenant_p6')).to.deep.equal(['Account']);
    const again = await project.tm(db, ['plan', '--detailed-exitcode', '--name', 'again']);
    expect(again.code, output(again)).to.equal(0);
  });
});
