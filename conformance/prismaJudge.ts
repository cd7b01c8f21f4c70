/**
 * Prisma's own schema engine as a judge: the migration Prisma would write to
 * bring a LIVE schema to the Prisma files (`prisma migrate diff
 * --from-schema-datasource … --to-schema …`), as statements; none means
 * Prisma sees no drift. Also the migration between two versions of the files.
 *
 * The Prisma CLI cannot run here (it downloads a native engine at run time),
 * so this is the wasm build of the same engine, in-process, loaded as
 * src/desired/prismaEngine.ts does, as an instance of its own: the judge
 * never shares state with the planner it judges. See
 * ../shared/notes/prisma-offline.md for what was measured (on PostgreSQL 18
 * the engine also needs NOT NULL constraints, contype 'n', filtered out of its
 * introspection: not done here, the conformance server is PostgreSQL 15).
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { loadSchemaEngine, wasmPanicRegistry, type SchemaEngineModule } from '../src/desired/prismaEngine.js';
import { splitStatements } from '../src/sql/split.js';

const require = createRequire(import.meta.url);

export type PrismaFile = { path: string; content: string };
type Engine = Awaited<ReturnType<SchemaEngineModule['SchemaEngine']['new']>>;

const PG_CHAR_OID = 18; // PostgreSQL's internal one-byte "char" (pg_constraint.contype and the like)
const PG_TEXT_OID = 25;

/**
 * The engine's introspection reads "char" catalog columns (contype,
 * confdeltype, confupdtype), which @prisma/adapter-pg 7.10 refuses with
 * "Column type 'char' could not be deserialized". pg already hands their
 * values over as one-letter strings, so labelling the columns as text is
 * enough for the adapter to report them as text, which the engine accepts.
 * This is done on the client, under the adapter, because the adapter maps
 * column types before any pg type parser is involved.
 */
function relabelCharColumns<T>(result: T): T {
  // A multi-statement query yields an array of results.
  for (const r of (Array.isArray(result) ? result : [result]) as { fields?: { dataTypeID: number }[] }[]) {
    for (const field of r?.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

export class CharAsTextClient extends pg.Client {
  // pg.Pool calls query(text, values, callback); the adapter, inside a
  // transaction, calls query(config) and awaits the promise. Handle both.
  override query(...args: any[]): any {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (error: Error | null, result: unknown) => callback(error, result && relabelCharColumns(result));
      return (super.query as any)(...args);
    }
    const returned = (super.query as any)(...args);
    // A submittable (Query, Cursor) is returned as is; its rows are not ours to relabel.
    return returned instanceof Promise ? returned.then(relabelCharColumns) : returned;
  }
}

/**
 * An engine whose datasource is `schema` of the database (PrismaPg's `schema`
 * option is what tells the engine which schema to describe), given to `fn`,
 * then freed with its pool. `instance` picks the wasm instance (see loadSchemaEngine).
 */
export async function withLiveEngine<T>(connectionString: string, schema: string, files: PrismaFile[], fn: (engine: Engine) => Promise<T>, instance = 'judge'): Promise<T> {
  const registry = wasmPanicRegistry();
  const { SchemaEngine } = await loadSchemaEngine(instance);
  const { PrismaPg } = require('@prisma/adapter-pg');
  const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');
  const pool = new pg.Pool({ connectionString, max: 1, Client: CharAsTextClient });
  pool.on('error', () => {});
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool, { schema }));
  let engine: Engine | undefined;
  try {
    registry.message = '';
    engine = await SchemaEngine.new({ datamodels: files.map((f) => [f.path, f.content]) }, () => {}, adapter);
    return await fn(engine);
  } catch (error) {
    throw new Error(`Prisma's schema engine failed on schema ${schema}: ${registry.message || (error as Error).message}`);
  } finally {
    engine?.free();
    await pool.end();
  }
}

const NO_FILTERS = { externalTables: [], externalEnums: [] };

/** The statements of a script Prisma printed (comments such as "-- This is an empty migration." dropped). */
export function scriptStatements(script: string | null | undefined): string[] {
  return splitStatements(script ?? '').filter((s) => !/^(BEGIN|COMMIT)$/i.test(s));
}

/**
 * The migration Prisma would write to bring the live schema `schemaName` to
 * the Prisma files: empty when Prisma's engine sees no drift. The files must
 * be ones Prisma 7 accepts (no datasource `url`).
 */
export async function prismaDrift(connectionString: string, schemaName: string, files: PrismaFile[]): Promise<string[]> {
  return withLiveEngine(connectionString, schemaName, files, async (engine) => {
    const { stdout } = await engine.diff({
      from: { tag: 'schemaDatasource', files, configDir: process.cwd() },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    return scriptStatements(stdout);
  });
}

/** The migration Prisma would write from one version of the files to another (no database is read). */
export async function prismaMigration(connectionString: string, from: PrismaFile[], to: PrismaFile[]): Promise<string[]> {
  return withLiveEngine(connectionString, 'public', to, async (engine) => {
    const { stdout } = await engine.diff({
      from: { tag: 'schemaDatamodel', files: from },
      to: { tag: 'schemaDatamodel', files: to },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    return scriptStatements(stdout);
  });
}
