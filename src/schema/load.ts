/**
 * Loads the project's Prisma schema folder into one schema: reads every
 * `.prisma` file, checks what tm relies on (one PostgreSQL datasource, no name
 * defined twice) with messages that name both places, lets Prisma's own
 * validator judge the rest, and merges the files into one text whose hash
 * identifies the desired state in plans.
 *
 * How the files are merged, and why not by printing an AST: prisma-ast's
 * printer inserts a blank line between a `///` doc comment and its model
 * (Prisma then drops the model's documentation) and rewrites comments and
 * alignment; Prisma's `merge_schemas` reformats every file, so the hash would
 * move with Prisma's formatter. A Prisma multi-file schema is by definition
 * the union of its files' blocks (no includes, no order), so concatenating
 * the files verbatim is already the merged schema: every doc comment stays on
 * the line above its block. A `// file: <path>` line before each part maps the
 * merged text back to the files. The result is checked once more by Prisma as
 * a single file, so "one valid schema" is verified, not assumed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Block, Datasource, Schema } from '@mrleebo/prisma-ast';
import { TmError } from '../errors.js';
import { blankBlockComments } from './blockComments.js';
import { locateSchema, type SchemaLocation } from './locate.js';
import { neutralisePrisma6Keys } from './prisma6.js';
import { validatePrismaFiles, type PrismaProblem } from './prisma-validator.js';

export interface SchemaFile {
  /** Relative to the project directory, `/` separators: the name errors use. */
  path: string;
  /** The file's text with line endings normalised to \n (see readSchemaFiles). */
  content: string;
}

export interface SchemaDatasource {
  name: string;
  provider: 'postgresql';
  /** The `schemas` list (multiSchema) when the datasource has one. */
  schemas?: string[];
}

export interface LoadedSchema {
  /** The schema folder, or the single schema file, relative to the project directory. */
  folder: string;
  /** Every .prisma file, sorted by path. */
  files: SchemaFile[];
  /** All files as one valid Prisma schema (see the top of this module). */
  mergedText: string;
  /** `sha256:<hex>` of mergedText. */
  hash: string;
  /** Names in the order of mergedText. */
  models: string[];
  enums: string[];
  views: string[];
  datasource: SchemaDatasource;
  /**
   * `file:line: …` for each Prisma 6 key tm accepted and ignored (see
   * prisma6.ts); the commands print them on stderr.
   */
  warnings: string[];
}

/** A named top-level block and where it is defined. */
interface PlacedBlock {
  kind: 'model' | 'view' | 'type' | 'enum' | 'datasource' | 'generator';
  name: string;
  file: string;
  line: number;
  block: Block;
}

export async function loadPrismaSchema(projectDir: string): Promise<LoadedSchema> {
  const location = locateSchema(projectDir);
  const files = readSchemaFiles(projectDir, location);
  const blocks = await parseBlocks(files);
  const warnings = neutralisePrisma6Keys(files, blocks);

  const datasource = checkDatasource(blocks, location);
  checkUniqueNames(blocks);
  const problems = validatePrismaFiles(files.map((file) => [file.path, file.content]));
  if (problems.length > 0) throw prismaProblemError(problems);
  checkDatabaseNames(blocks);

  const mergedText = mergeFiles(files);
  const mergedProblems = validatePrismaFiles([['merged.prisma', mergedText]]);
  if (mergedProblems.length > 0) {
    // Only a bug in mergeFiles can get here: every file was valid together.
    throw new Error(`tm merged a valid schema folder into an invalid schema: ${mergedProblems[0].message} (merged.prisma:${mergedProblems[0].line})`);
  }

  const namesOf = (kind: PlacedBlock['kind']) => blocks.filter((b) => b.kind === kind).map((b) => b.name);
  return {
    folder: location.path,
    files,
    mergedText,
    hash: `sha256:${createHash('sha256').update(mergedText).digest('hex')}`,
    models: namesOf('model'),
    enums: namesOf('enum'),
    views: namesOf('view'),
    datasource,
    warnings,
  };
}

/**
 * Every .prisma file under the location, recursively, sorted by path (plain
 * code-unit order, so the merge does not depend on the machine's locale).
 * Line endings become \n and a byte-order mark is dropped, so that a Windows
 * checkout of the same schema gives the same hash.
 */
function readSchemaFiles(projectDir: string, location: SchemaLocation): SchemaFile[] {
  const absolute = path.resolve(projectDir, location.path);
  const relativePaths =
    location.kind === 'file'
      ? [location.path]
      : readdirSync(absolute, { recursive: true, encoding: 'utf8' })
          .filter((entry) => entry.endsWith('.prisma') && statSync(path.join(absolute, entry)).isFile())
          .map((entry) => joinPosix(location.path, entry));
  if (relativePaths.length === 0) {
    throw new TmError(`${location.path}: the Prisma schema folder has no .prisma files`, 'Put the schema (datasource, models, enums) in .prisma files in that folder.');
  }
  return relativePaths
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((file) => ({
      path: file,
      content: readFileSync(path.resolve(projectDir, file), 'utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'),
    }));
}

function joinPosix(folder: string, entry: string): string {
  const relative = entry.split(path.sep).join('/');
  return folder === '.' ? relative : `${folder}/${relative}`;
}

/**
 * The named blocks of every file, with their lines, parsed by prisma-ast
 * (block comments blanked out first: prisma-ast cannot parse them, see
 * blockComments.ts). A file prisma-ast cannot parse is reported with Prisma's
 * own message when Prisma finds a problem too (its messages are far clearer
 * than the parser's token lists), else with prisma-ast's.
 */
async function parseBlocks(files: SchemaFile[]): Promise<PlacedBlock[]> {
  const { getSchema, PrismaParser, VisitorClassFactory } = await import('@mrleebo/prisma-ast');
  // Our own parser instance: the default one takes its options from a
  // `prisma-ast` key in whatever package.json lies above the current
  // directory, and has line tracking off.
  const parser = new PrismaParser({ nodeLocationTracking: 'full' });
  const visitor = new (VisitorClassFactory(parser))();

  const placed: PlacedBlock[] = [];
  for (const file of files) {
    let schema: Schema;
    try {
      schema = getSchema(blankBlockComments(file.content), { parser, visitor });
    } catch (error) {
      const problems = validatePrismaFiles(files.map((f) => [f.path, f.content]));
      if (problems.length > 0) throw prismaProblemError(problems);
      throw parseError(file, error);
    }
    for (const block of schema.list) {
      if (block.type === 'comment' || block.type === 'break') continue;
      placed.push({ kind: block.type, name: block.name, file: file.path, line: block.location?.startLine ?? 1, block });
    }
  }
  return placed;
}

/** prisma-ast's (chevrotain's) error, reduced to one line with its position. */
function parseError(file: SchemaFile, error: unknown): TmError {
  const { token, previousToken, message } = error as {
    token?: { startLine?: number; startColumn?: number };
    previousToken?: { endLine?: number };
    message?: string;
  };
  // At the end of input chevrotain's token has no position (NaN): use the
  // last token read, else the last line of the file.
  const line = Number.isFinite(token?.startLine) ? token!.startLine! : (previousToken?.endLine ?? file.content.split('\n').length);
  const column = Number.isFinite(token?.startColumn) ? `:${token!.startColumn}` : '';
  const firstLine = (message ?? String(error)).split('\n')[0];
  return new TmError(`${file.path}:${line}${column}: cannot parse the Prisma schema: ${firstLine}`, 'Fix the syntax and run `tm validate` again.');
}

function prismaProblemError(problems: PrismaProblem[]): TmError {
  const [first] = problems;
  const more = problems.length - 1;
  return new TmError(
    `${first.file}:${first.line}: ${first.message}`,
    more > 0
      ? `Prisma found ${more} more problem${more === 1 ? '' : 's'} in the schema; fix this one and run \`tm validate\` again.`
      : 'Fix the Prisma schema and run `tm validate` again.',
  );
}

/** Exactly one datasource, and a PostgreSQL one: tm plans PostgreSQL DDL only. */
function checkDatasource(blocks: PlacedBlock[], location: SchemaLocation): SchemaDatasource {
  const datasources = blocks.filter((b) => b.kind === 'datasource');
  if (datasources.length === 0) {
    throw new TmError(`${location.path}: the Prisma schema has no datasource block`, 'Add `datasource db { provider = "postgresql" }` to one of its .prisma files.');
  }
  if (datasources.length > 1) {
    const [first, second] = datasources;
    throw new TmError(
      `${second.file}:${second.line}: a second datasource block "${second.name}"; datasource "${first.name}" is already defined at ${first.file}:${first.line}`,
      'A Prisma schema has exactly one datasource: remove one of them.',
    );
  }
  const [placed] = datasources;
  const assignments = (placed.block as Datasource).assignments.filter((a) => a.type === 'assignment');
  const provider = assignments.find((a) => a.key === 'provider');
  const providerLine = (provider as { location?: { startLine?: number } } | undefined)?.location?.startLine ?? placed.line;
  // "postgres" is Prisma's accepted alias of "postgresql".
  if (!provider || (provider.value !== '"postgresql"' && provider.value !== '"postgres"')) {
    const found = provider ? `provider = ${typeof provider.value === 'string' ? provider.value : 'a non-string value'}` : 'no provider';
    throw new TmError(
      `${placed.file}:${providerLine}: datasource "${placed.name}" has ${found}; tm manages PostgreSQL only`,
      'Set provider = "postgresql" in the datasource block.',
    );
  }
  const datasource: SchemaDatasource = { name: placed.name, provider: 'postgresql' };
  const schemas = assignments.find((a) => a.key === 'schemas')?.value;
  if (schemas && typeof schemas === 'object' && !Array.isArray(schemas) && schemas.type === 'array') {
    datasource.schemas = schemas.args.filter((arg): arg is string => typeof arg === 'string').map(unquote);
  }
  if (datasource.schemas?.length) {
    // Models of a multiSchema datasource live in named schemas (@@schema), not in the tenant's:
    // planning them per tenant would silently leave them out.
    const line = (assignments.find((a) => a.key === 'schemas') as { location?: { startLine?: number } } | undefined)?.location?.startLine ?? placed.line;
    throw new TmError(
      `${placed.file}:${line}: datasource "${placed.name}" lists schemas (multiSchema); tm manages one schema per tenant, which holds every model`,
      'Remove the schemas list and the @@schema attributes: tm creates each tenant\'s schema and puts the models there.',
    );
  }
  return datasource;
}

/**
 * Models, enums, composite types and views share one namespace across all
 * files. Prisma reports a clash at the second definition only; tm names both
 * places, which is what one needs when the two are in different files.
 */
function checkUniqueNames(blocks: PlacedBlock[]): void {
  const seen = new Map<string, PlacedBlock>();
  for (const block of blocks) {
    if (block.kind === 'datasource' || block.kind === 'generator') continue;
    const first = seen.get(block.name);
    if (first) {
      throw new TmError(
        `${block.file}:${block.line}: ${block.kind} ${block.name} is already defined as ${first.kind} ${first.name} at ${first.file}:${first.line}`,
        'Model, enum, type and view names must be unique across the schema folder: rename or remove one.',
      );
    }
    seen.set(block.name, block);
  }
}

/** PostgreSQL cuts identifiers at 63 bytes (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Names the database objects get (model and field names, @@map, @map and
 * map: arguments, enum values) that tm refuses: a double quote in a name or
 * a single quote in an enum value (Prisma renders them without escaping, so
 * the SQL would break out of its quotes), and names over 63 bytes (PostgreSQL
 * would silently cut them, so two could become one).
 */
function checkDatabaseNames(blocks: PlacedBlock[]): void {
  const models = new Set(blocks.filter((b) => b.kind === 'model' || b.kind === 'view' || b.kind === 'type').map((b) => b.name));
  const lineOf = (node: unknown, fallback: number) => (node as { location?: { startLine?: number } })?.location?.startLine ?? fallback;
  const stringArg = (value: unknown): string | null => (typeof value === 'string' && value.startsWith('"') ? unquote(value) : null);
  /** The string of @map("x") / @@map("x") / map: "x" among an attribute list. */
  const mapped = (attributes: unknown[] | undefined): { name: string; node: unknown }[] =>
    (attributes ?? []).flatMap((a) => {
      const attr = a as { type?: string; name?: string; args?: { value: unknown }[] };
      if (attr.type !== 'attribute') return [];
      return (attr.args ?? []).flatMap((arg) => {
        const v = arg.value as { type?: string; key?: string; value?: unknown } | string;
        if (attr.name === 'map' && typeof v === 'string') {
          const name = stringArg(v);
          return name === null ? [] : [{ name, node: attr }];
        }
        if (typeof v === 'object' && v?.type === 'keyValue' && v.key === 'map') {
          const name = stringArg(v.value);
          return name === null ? [] : [{ name, node: attr }];
        }
        return [];
      });
    });
  const check = (block: PlacedBlock, node: unknown, name: string, what: string, literal = false) => {
    const where = `${block.file}:${lineOf(node, block.line)}`;
    const quote = literal ? "'" : '"';
    if (name.includes(quote) || name.includes('\0')) {
      throw new TmError(
        `${where}: ${what} ${JSON.stringify(name)} contains a ${literal ? 'single' : 'double'} quote, which Prisma's SQL does not escape`,
        'Rename it without quotes: tm refuses names that would break out of the SQL they are written into.',
      );
    }
    const bytes = Buffer.byteLength(name);
    if (bytes > MAX_IDENTIFIER_BYTES) {
      const cut = Buffer.from(name).subarray(0, MAX_IDENTIFIER_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
      throw new TmError(
        `${where}: ${what} ${JSON.stringify(name)} is ${bytes} bytes; PostgreSQL cuts names at ${MAX_IDENTIFIER_BYTES} bytes, so it would be created as ${JSON.stringify(cut)}`,
        'Choose a shorter name (or map it to one with @map / @@map / map:).',
      );
    }
  };
  for (const block of blocks) {
    if (block.kind === 'model' || block.kind === 'view') {
      const properties = ((block.block as { properties?: unknown[] }).properties ?? []) as { type?: string; name?: string; fieldType?: unknown; attributes?: unknown[] }[];
      const blockAttributes = properties.filter((p) => p.type === 'attribute');
      const tableMap = mapped(blockAttributes).find((m) => (m.node as { name?: string }).name === 'map');
      check(block, tableMap?.node ?? block.block, tableMap?.name ?? block.name, tableMap ? 'the table name (@@map)' : `model ${block.name}'s table name`);
      for (const m of mapped(blockAttributes)) if (m !== tableMap) check(block, m.node, m.name, 'the name (map:)');
      for (const field of properties.filter((p) => p.type === 'field')) {
        const fieldMaps = mapped(field.attributes);
        const column = fieldMaps.find((m) => (m.node as { name?: string }).name === 'map');
        // A relation field has no column: only its constraint name (map:) reaches the database.
        const isRelation = typeof field.fieldType === 'string' && models.has(field.fieldType);
        if (!isRelation) check(block, column?.node ?? field, column?.name ?? field.name!, column ? 'the column name (@map)' : `field ${block.name}.${field.name}'s column name`);
        for (const m of fieldMaps) if (m !== column) check(block, m.node, m.name, 'the name (map:)');
      }
    }
    if (block.kind === 'enum') {
      const enumerators = ((block.block as { enumerators?: unknown[] }).enumerators ?? []) as { type?: string; name?: string; attributes?: unknown[] }[];
      const typeMap = mapped(enumerators.filter((e) => e.type === 'attribute')).find((m) => (m.node as { name?: string }).name === 'map');
      check(block, typeMap?.node ?? block.block, typeMap?.name ?? block.name, typeMap ? 'the enum type name (@@map)' : `enum ${block.name}'s type name`);
      for (const value of enumerators.filter((e) => e.type === 'enumerator')) {
        const valueMap = mapped(value.attributes)[0];
        check(block, valueMap?.node ?? value, valueMap?.name ?? value.name!, `the value of enum ${block.name}`, true);
      }
    }
  }
}

/** The files, verbatim, one after another, each after a `// file:` line. */
function mergeFiles(files: SchemaFile[]): string {
  return files.map((file) => `// file: ${file.path}\n${file.content.endsWith('\n') ? file.content : `${file.content}\n`}`).join('\n');
}

function unquote(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal.replace(/^"|"$/g, '');
  }
}
