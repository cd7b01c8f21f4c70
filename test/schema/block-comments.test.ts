import { expect } from 'chai';
import { createRequire } from 'node:module';
import { TmError } from '../../src/errors.js';
import { loadPrismaSchema } from '../../src/schema/load.js';
import { removeTempProjects, tempProject } from '../support/temp-project.js';

const prismaSchemaWasm = createRequire(import.meta.url)('@prisma/prisma-schema-wasm') as typeof import('@prisma/prisma-schema-wasm');

/** Model name → its field names, as Prisma itself reads the merged text. */
function prismaFields(text: string): Record<string, string[]> {
  const models = JSON.parse(prismaSchemaWasm.get_dmmf(JSON.stringify({ prismaSchema: [['merged.prisma', text]] }))).datamodel.models as Array<{ name: string; fields: Array<{ name: string }> }>;
  return Object.fromEntries(models.map((m) => [m.name, m.fields.map((f) => f.name)]));
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

/** Block comments everywhere Prisma accepts them (trigger.dev's schema has such `/** … *\/` comments). */
const COMMENTED = [
  '/* A file-level comment. */',
  'datasource db { /* after the brace */',
  '  /* inside the datasource */',
  '  provider = "postgresql" /* after a value */',
  '}',
  '',
  '/**',
  ' * A comment spanning lines, with a } brace, a "double quote, a \'single one\'',
  ' * and a commented-out model:',
  'model Hidden {',
  '  id Int @id',
  '}',
  ' */',
  'model Account {',
  '  id    Int    @id /* after a field */',
  '  /**',
  '   * Spans lines inside a model: { "x" }',
  '   */',
  '  email String @default("a /* string, not a comment */")',
  '  /* note Int',
  '  gone   Int */',
  '  role  Role',
  '  @@index([email]) /* after a block attribute */',
  '/* before the closing brace */ }',
  '',
  'enum Role {',
  '  /* inside an enum */',
  '  USER /* after a value */',
  '  ADMIN',
  '} /* after a closing brace */',
  '',
].join('\n');

describe('block comments in the Prisma schema', () => {
  after(removeTempProjects);

  it('loads a schema with /* … */ comments wherever Prisma accepts them, as Prisma reads it', async () => {
    const dir = tempProject({ 'prisma/schema/product.prisma': null, 'prisma/schema/user.prisma': null, 'prisma/schema/schema.prisma': COMMENTED });
    const schema = await loadPrismaSchema(dir);
    expect(schema.models).to.deep.equal(['Account']);
    expect(schema.enums).to.deep.equal(['Role']);
    expect(schema.datasource).to.deep.equal({ name: 'db', provider: 'postgresql' });
    // The text tm plans from is the file as written: Prisma finds exactly these fields in it.
    expect(schema.mergedText).to.contain(COMMENTED);
    expect(prismaFields(schema.mergedText)).to.deep.equal({ Account: ['id', 'email', 'role'] });
  });

  it('keeps the line numbers of errors after a block comment', async () => {
    const text = `${COMMENTED}model Twice {\n  id Int @id\n}\n/*\n\n*/\nmodel Twice {\n  id Int @id\n}\n`;
    const duplicate = await loadError(tempProject({ 'prisma/schema/product.prisma': null, 'prisma/schema/user.prisma': null, 'prisma/schema/schema.prisma': text }));
    const lines = text.split('\n');
    const first = lines.indexOf('model Twice {') + 1;
    const second = lines.lastIndexOf('model Twice {') + 1;
    expect(duplicate.message).to.equal(`prisma/schema/schema.prisma:${second}: model Twice is already defined as model Twice at prisma/schema/schema.prisma:${first}`);

    const broken = await loadError(
      tempProject({ 'prisma/schema/product.prisma': null, 'prisma/schema/user.prisma': null, 'prisma/schema/schema.prisma': `${COMMENTED}model Broken {\n  id Int @id\n  name String @@\n}\n` }),
    );
    expect(broken.message).to.match(new RegExp(`^prisma/schema/schema\\.prisma:${COMMENTED.split('\n').length + 2}: `));
  });

  it('reports what Prisma refuses: a comment inside a field, an unterminated comment', async () => {
    const inside = await loadError(tempProject({ 'prisma/schema/zz.prisma': 'model Inside {\n  id /* no */ Int @id\n}\n' }));
    expect(inside.message).to.match(/^prisma\/schema\/zz\.prisma:2: /);
    const open = await loadError(tempProject({ 'prisma/schema/zz.prisma': '\n/* never closed\nmodel Open {\n  id Int @id\n}\n' }));
    expect(open.message).to.match(/^prisma\/schema\/zz\.prisma:2: /);
  });
});
