import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TmError } from '../../src/errors.js';
import { loadPrismaSchema } from '../../src/schema/load.js';
import { REPO_DIR, removeTempProjects, tempProject } from '../support/temp-project.js';

const prismaSchemaWasm = createRequire(import.meta.url)('@prisma/prisma-schema-wasm') as typeof import('@prisma/prisma-schema-wasm');

/** Prisma's DMMF of a single-file schema: what Prisma itself makes of the merged text. */
function dmmfModels(text: string): Array<{ name: string; documentation?: string }> {
  return JSON.parse(prismaSchemaWasm.get_dmmf(JSON.stringify({ prismaSchema: [['merged.prisma', text]] }))).datamodel.models;
}

async function loadError(dir: string): Promise<TmError> {
  try {
    await loadPrismaSchema(dir);
  } catch (error) {
    expect(error).to.be.instanceOf(TmError);
    return error as TmError;
  }
  throw new Error('expected loadPrismaSchema to fail');
}

const DATASOURCE = 'datasource db {\n  provider = "postgresql"\n}\n';

describe('loadPrismaSchema', () => {
  after(removeTempProjects);

  it('loads the example folder: every file, every block, one datasource', async () => {
    const schema = await loadPrismaSchema(REPO_DIR);
    expect(schema.folder).to.equal('prisma/schema');
    expect(schema.files.map((f) => f.path)).to.deep.equal(['prisma/schema/product.prisma', 'prisma/schema/schema.prisma', 'prisma/schema/user.prisma']);
    expect(schema.models).to.deep.equal(['Product', 'Category', 'Order', 'OrderItem', 'User']);
    expect(schema.enums).to.deep.equal(['Role']);
    expect(schema.views).to.deep.equal([]);
    expect(schema.datasource).to.deep.equal({ name: 'db', provider: 'postgresql' });
    expect(schema.hash).to.match(/^sha256:[0-9a-f]{64}$/);
    for (const block of ['model Product', 'model Category', 'model Order ', 'model OrderItem', 'model User', 'enum Role', 'datasource db', 'generator client']) {
      expect(schema.mergedText).to.contain(block);
    }
    for (const file of schema.files) expect(schema.mergedText).to.contain(`// file: ${file.path}\n`);
  });

  it('keeps /// doc comments attached to their models (Prisma sees the documentation)', async () => {
    const schema = await loadPrismaSchema(REPO_DIR);
    const docs = Object.fromEntries(dmmfModels(schema.mergedText).map((m) => [m.name, m.documentation]));
    expect(docs.Product).to.equal('Something a tenant sells.');
    expect(docs.Category).to.equal('A way to group products; products and categories are many-to-many.');
    // user.prisma starts with its doc comment, right after the merge's `// file:` line.
    expect(docs.User).to.equal("Someone who can sign in to a tenant's workspace.");
    expect(schema.mergedText).to.contain('/// Something a tenant sells.\nmodel Product {');
  });

  it('gives a hash that changes with any file and not with line endings', async () => {
    const original = await loadPrismaSchema(tempProject());
    const again = await loadPrismaSchema(tempProject());
    expect(again.hash).to.equal(original.hash);

    const user = readFileSync(path.join(REPO_DIR, 'prisma/schema/user.prisma'), 'utf8');
    const changed = await loadPrismaSchema(tempProject({ 'prisma/schema/user.prisma': user.replace('name      String?', 'name      String') }));
    expect(changed.hash).to.not.equal(original.hash);

    const crlf = await loadPrismaSchema(tempProject({ 'prisma/schema/user.prisma': user.replace(/\n/g, '\r\n') }));
    expect(crlf.hash).to.equal(original.hash);
  });

  it('reads sub-folders, sorted by path', async () => {
    const schema = await loadPrismaSchema(tempProject({ 'prisma/schema/billing/invoice.prisma': 'model Invoice {\n  id Int @id\n}\n' }));
    expect(schema.files.map((f) => f.path)).to.include('prisma/schema/billing/invoice.prisma');
    expect(schema.files[0].path).to.equal('prisma/schema/billing/invoice.prisma');
    expect(schema.models).to.include('Invoice');
  });

  it('honours the schema key of prisma.config.ts (a folder or a single file)', async () => {
    const folder = tempProject({
      'prisma.config.ts': "export default { schema: \"db/models\" }\n",
      'prisma/schema': null,
      'db/models/all.prisma': `${DATASOURCE}model A {\n  id Int @id\n}\n`,
    });
    const schema = await loadPrismaSchema(folder);
    expect(schema.folder).to.equal('db/models');
    expect(schema.models).to.deep.equal(['A']);

    const single = tempProject({ 'prisma.config.ts': "export default { schema: 'db/one.prisma' }\n", 'db/one.prisma': `${DATASOURCE}model B {\n  id Int @id\n}\n` });
    expect((await loadPrismaSchema(single)).models).to.deep.equal(['B']);

    // The config wins over an existing prisma/schema/, and a commented-out key is not read.
    const missing = await loadError(
      tempProject({ 'prisma.config.ts': "import { defineConfig } from 'prisma/config';\n// schema: 'prisma/schema'\nexport default defineConfig({\n  schema: 'db/models',\n});\n" }),
    );
    expect(missing.message).to.equal("prisma.config.ts:4: schema 'db/models' does not exist");
  });

  it('refuses a prisma.config.ts schema it cannot read without running it', async () => {
    const error = await loadError(tempProject({ 'prisma.config.ts': "import path from 'node:path';\nexport default {\n  schema: path.join('prisma', 'schema'),\n};\n" }));
    expect(error.message).to.match(/^prisma\.config\.ts:3: /);
  });

  it('falls back to prisma/schema.prisma when there is no schema folder', async () => {
    const dir = tempProject({ 'prisma/schema': null, 'prisma/schema.prisma': `${DATASOURCE}model C {\n  id Int @id\n}\n` });
    const schema = await loadPrismaSchema(dir);
    expect(schema.folder).to.equal('prisma/schema.prisma');
    expect(schema.models).to.deep.equal(['C']);
  });

  it('names both files and lines of a model defined twice', async () => {
    const error = await loadError(tempProject({ 'prisma/schema/zz.prisma': '\n\nmodel User {\n  id Int @id\n}\n' }));
    expect(error.message).to.equal('prisma/schema/zz.prisma:3: model User is already defined as model User at prisma/schema/user.prisma:2');
  });

  it('names both places of a second datasource block', async () => {
    const error = await loadError(tempProject({ 'prisma/schema/zz.prisma': 'datasource other {\n  provider = "postgresql"\n}\n' }));
    expect(error.message).to.equal('prisma/schema/zz.prisma:1: a second datasource block "other"; datasource "db" is already defined at prisma/schema/schema.prisma:8');
  });

  it('reports a syntax error with Prisma’s message, file and line', async () => {
    const error = await loadError(tempProject({ 'prisma/schema/zz.prisma': 'model Broken {\n  id Int @id\n  name String @@\n}\n' }));
    expect(error.message).to.match(/^prisma\/schema\/zz\.prisma:3: /);
    expect(error.message).to.not.contain('\n');
  });

  it('reports what only Prisma’s validator finds (an unknown type) with file and line', async () => {
    const error = await loadError(tempProject({ 'prisma/schema/zz.prisma': 'model Broken {\n  id    Int @id\n  owner Nobody\n}\n' }));
    expect(error.message).to.equal('prisma/schema/zz.prisma:3: Type "Nobody" is neither a built-in type, nor refers to another model, composite type, or enum.');
  });

  it('requires a datasource, and a PostgreSQL one', async () => {
    const none = await loadError(tempProject({ 'prisma/schema/schema.prisma': 'generator client {\n  provider = "prisma-client"\n}\n' }));
    expect(none.message).to.equal('prisma/schema: the Prisma schema has no datasource block');

    const mysql = await loadError(tempProject({ 'prisma/schema/schema.prisma': 'datasource db {\n  provider = "mysql"\n}\n' }));
    expect(mysql.message).to.equal('prisma/schema/schema.prisma:2: datasource "db" has provider = "mysql"; tm manages PostgreSQL only');
  });

  it('accepts a Prisma 6 url = env(...) in the datasource but keeps it out of the merged text', async () => {
    const dir = tempProject({
      'prisma/schema/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
      'prisma/schema/product.prisma': null,
      'prisma/schema/user.prisma': 'model User {\n  id Int @id\n}\n',
    });
    const schema = await loadPrismaSchema(dir);
    expect(schema.datasource).to.deep.equal({ name: 'db', provider: 'postgresql' });
    expect(schema.mergedText).to.not.contain('DATABASE_URL');
    expect(dmmfModels(schema.mergedText).map((m) => m.name)).to.deep.equal(['User']);
  });

  it('refuses a multiSchema datasource, whose models would not land in the tenant schema', async () => {
    const error = await loadError(
      tempProject({
        'prisma/schema/schema.prisma': 'datasource db {\n  provider = "postgresql"\n  schemas  = ["tenant_a"]\n}\n',
        'prisma/schema/product.prisma': null,
        'prisma/schema/user.prisma': 'model User {\n  id Int @id\n  @@schema("tenant_a")\n}\n',
      }),
    );
    expect(error.message).to.equal('prisma/schema/schema.prisma:3: datasource "db" lists schemas (multiSchema); tm manages one schema per tenant, which holds every model');
  });
});
