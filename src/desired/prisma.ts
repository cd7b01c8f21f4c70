/**
 * The desired-state source every project has: what Prisma would create for
 * the schema folder, rendered by its own engine (prismaEngine.ts), with the
 * extensions the datasource lists taken out to be planned per database
 * (extensions.ts).
 */
import { splitStatements } from '../sql/split.js';
import { takeExtensions } from './extensions.js';
import { renderCreateSql } from './prismaEngine.js';
import type { DesiredSource } from './source.js';

/**
 * What Prisma renders for an empty schema: types, tables, indexes,
 * constraints, sequences, comments. Prisma does not escape a double quote in
 * a name (@map, @@map, map:) nor a single quote in an enum value, so anything
 * else is refused.
 */
const PRISMA_STATEMENTS = /^(CREATE\s+(TABLE|TYPE|(UNIQUE\s+)?INDEX|SEQUENCE)|ALTER\s+(TABLE|TYPE|SEQUENCE)|COMMENT\s+ON)\b/i;

export function prismaSource(files: { path: string; content: string }[]): DesiredSource {
  return {
    author: 'Prisma renders for this schema',
    allowed: PRISMA_STATEMENTS,
    refusedHint: 'Look for a quote that ends Prisma\'s quoting early: in a name (@map, @@map, map:), an enum value or a dbgenerated() default.',
    failedHint: (extensionSchemas) =>
      `This usually means the schema needs an extension or a PostgreSQL version the server lacks. Extensions are looked up in ${extensionSchemas.map((s) => `"${s}"`).join(', ')} (tenants.yaml's extensionSchema, default public); list the ones tm should create in the datasource (extensions = [...], preview feature postgresqlExtensions).`,
    async render(connectionString) {
      const { extensions, rest } = takeExtensions(splitStatements(await renderCreateSql(files, connectionString)));
      return { statements: rest, extensions };
    },
  };
}
