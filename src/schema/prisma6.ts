/**
 * What a Prisma 6 schema has that Prisma 7 (tm's engine) rejects, though the
 * schema is otherwise valid: connection strings in the datasource (`url`,
 * `directUrl`, `shadowDatabaseUrl`) and generator preview features Prisma 7
 * removed (`metrics`, …). Teams upgrading have them; tm accepts the schema
 * with one warning per key and takes them out of its own copy of the file.
 *
 * Each edit replaces text on its own line, never adds or removes one, so
 * every line number stays as in the real file; a connection string (which
 * may hold a literal password) never reaches the merged text, the hash or a
 * plan. A preview feature Prisma 6 did not know either (a typo) is left for
 * Prisma's validator to report.
 */
import type { Block } from '@mrleebo/prisma-ast';
import { blankBlockComments } from './blockComments.js';
import { isKnownPreviewFeature } from './prisma-validator.js';

interface SchemaFileText {
  path: string;
  content: string;
}

interface PlacedBlockRef {
  file: string;
  block: Block;
}

const CONNECTION_KEYS = ['url', 'directUrl', 'shadowDatabaseUrl'];

/**
 * Every generator preview feature Prisma up to 6 knew (Prisma's
 * psl/psl-core/src/common/preview_features.rs over its 5.x and 6.x
 * releases). Prisma matches these names case-insensitively.
 */
const PRISMA_6_PREVIEW_FEATURES = [
  'aggregateApi', 'atomicNumberOperations', 'clientExtensions', 'cockroachdb', 'connectOrCreate', 'createMany', 'dataProxy',
  'deno', 'distinct', 'driverAdapters', 'esm', 'extendedIndexes', 'extendedWhereUnique', 'fieldReference', 'filteredRelationCount',
  'filterJson', 'fullTextIndex', 'fullTextSearch', 'fullTextSearchPostgres', 'groupBy', 'improvedQueryRaw', 'interactiveTransactions',
  'jsonProtocol', 'metrics', 'microsoftSqlServer', 'middlewares', 'mongoDb', 'multiSchema', 'namedConstraints', 'nApi', 'nativeDistinct',
  'nativeTypes', 'omitApi', 'orderByAggregateGroup', 'orderByNulls', 'orderByRelation', 'postgresqlExtensions', 'prismaSchemaFolder',
  'queryCompiler', 'reactNative', 'referentialActions', 'referentialIntegrity', 'relationJoins', 'schemaEngineDriverAdapters',
  'selectRelationCount', 'shardKeys', 'strictUndefinedChecks', 'tracing', 'transactionApi', 'typedSql', 'uncheckedScalarInputs', 'views',
].map((name) => name.toLowerCase());

/**
 * Takes Prisma 6's keys out of the files' text (in place) and returns one
 * warning per key, `file:line: …`.
 */
export function neutralisePrisma6Keys(files: SchemaFileText[], blocks: PlacedBlockRef[]): string[] {
  const warnings: string[] = [];
  for (const { block, file: filePath } of blocks) {
    if (block.type !== 'datasource' && block.type !== 'generator') continue;
    const file = files.find((f) => f.path === filePath)!;
    const lines = file.content.split('\n');
    const blanked = blankBlockComments(file.content).split('\n');
    for (const assignment of block.assignments) {
      if (assignment.type !== 'assignment') continue;
      const index = ((assignment as { location?: { startLine?: number } }).location?.startLine ?? 0) - 1;
      if (index < 0 || !new RegExp(`^\\s*${assignment.key}\\s*=`).test(blanked[index] ?? '')) continue;
      const where = `${file.path}:${index + 1}`;
      if (block.type === 'datasource' && CONNECTION_KEYS.includes(assignment.key)) {
        lines[index] = withoutConnectionString(lines[index], blanked[index], assignment.key);
        warnings.push(
          `${where}: datasource "${block.name}" sets ${assignment.key}, which tm ignores: tm never needs a database URL from the schema, ` +
            'it connects with the url of each database in tenants.yaml (set it there or in the environment variable it names). ' +
            `Prisma 7 no longer accepts ${assignment.key} in the schema either: it moved to prisma.config.ts.`,
        );
      }
      if (block.type === 'generator' && assignment.key === 'previewFeatures') {
        const removed = removedPreviewFeatures(assignment.value);
        if (removed.length === 0) continue;
        lines[index] = withoutPreviewFeatures(lines[index], blanked[index], removed);
        for (const name of removed) {
          warnings.push(
            `${where}: generator "${block.name}" lists the preview feature "${name}", which Prisma 7 (the engine tm plans with) no longer has; ` +
              'tm ignores it. Remove it from previewFeatures when you move to Prisma 7.',
          );
        }
      }
    }
    file.content = lines.join('\n');
  }
  return warnings;
}

/**
 * The line without its connection-string assignment: a comment saying why,
 * or, when a block comment shares the line, only that comment's characters
 * (a `//` there would swallow the comment's opening).
 */
function withoutConnectionString(line: string, blanked: string, key: string): string {
  if (line === blanked) return `  // ${key}: ignored by tm (Prisma 7 reads connection strings from prisma.config.ts)`;
  return line.replace(/[^\t]/g, (char, offset: number) => (char !== blanked[offset] ? char : ' '));
}

/** The names of the list Prisma 6 knew and Prisma 7 rejects, as written. */
function removedPreviewFeatures(value: unknown): string[] {
  const list = value as { type?: string; args?: unknown[] };
  if (list?.type !== 'array') return [];
  return (list.args ?? [])
    .filter((arg): arg is string => typeof arg === 'string' && arg.startsWith('"'))
    .map((arg) => JSON.parse(arg) as string)
    .filter((name) => PRISMA_6_PREVIEW_FEATURES.includes(name.toLowerCase()) && !isKnownPreviewFeature(name));
}

/** The `previewFeatures = [...]` line with the given names left out (Prisma requires the list on one line). */
function withoutPreviewFeatures(line: string, blanked: string, removed: string[]): string {
  const match = /^(\s*previewFeatures\s*=\s*)\[([^\]]*)\]/.exec(blanked);
  if (!match) return line;
  const kept = match[2]
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '' && !removed.includes(item.replace(/^"|"$/g, '')));
  return `${match[1]}[${kept.join(', ')}]${line.slice(match[0].length)}`;
}
