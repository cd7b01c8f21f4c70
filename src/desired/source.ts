/**
 * A desired-state source: SQL that creates, in an empty schema, part of what
 * every tenant should have. buildDesired (index.ts) renders each source, runs
 * their statements in one scratch schema in the sources' order, and reads the
 * catalog once (materialize.ts).
 *
 * Today there is one, Prisma's SQL (prisma.ts). Adding one is a module that
 * implements DesiredSource and a line in sources.ts.
 */
import type { ListedExtension } from './extensions.js';

/** What a source renders. */
export interface SourceSql {
  /** One statement each, unqualified: they run with search_path set to the scratch schema, then the extension schemas. */
  statements: string[];
  /** Extensions the statements need: created once per database, before its tenants, never in a tenant schema (extensions.ts). */
  extensions: ListedExtension[];
}

export interface DesiredSource {
  /** Who wrote the SQL, completing "The SQL … has a statement tm will not run" and "The SQL … failed on the server". */
  author: string;
  /**
   * The statements it may hand over. Anything else is refused before the
   * scratch transaction begins: a quote the SQL's author did not escape could
   * end the transaction (COMMIT) and run whatever follows. Each statement is
   * also sent over the extended protocol, where the server refuses a string
   * that holds more than one.
   */
  allowed: RegExp;
  /** What to look at when a statement is refused. */
  refusedHint: string;
  /** What to look at when its SQL fails on the server; `extensionSchemas`: where extension objects are looked up. */
  failedHint(extensionSchemas: string[]): string;
  /** It declares the comments of tables and columns: tm then owns them (removes one it does not declare); else tenants keep theirs. */
  ownsComments?: boolean;
  /** Its SQL for the database at connectionString (which it may look at, never write to: Prisma's engine does). */
  render(connectionString: string): Promise<SourceSql>;
}
