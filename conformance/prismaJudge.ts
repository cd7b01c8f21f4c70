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
const COLUMN_TYPE_CHARACTER = 6; // ColumnTypeEnum.Character of @prisma/driver-adapter-utils

/** The positions of the "char" columns of a result, by its rows array (which the adapter passes through as is). */
const charColumns = new WeakMap<object, number[]>();

/**
 * The engine's introspection reads "char" catalog columns (contype,
 * confdeltype, confupdtype) and expects them as characters, but
 * @prisma/adapter-pg 7.10 refuses their type ("Column type 'char' could not
 * be deserialized"). pg already hands the values over as one-letter strings:
 * the columns are relabelled as text here, on the client under the adapter
 * (the adapter maps column types before any pg type parser is involved), and
 * their positions remembered so that the adapter's result can report them as
 * characters (withCharColumns).
 */
function relabelCharColumns<T>(result: T): T {
  // A multi-statement query yields an array of results.
  for (const r of (Array.isArray(result) ? result : [result]) as { fields?: { dataTypeID: number }[]; rows?: object }[]) {
    const positions: number[] = [];
    (r?.fields ?? []).forEach((field, i) => {
      if (field.dataTypeID !== PG_CHAR_OID) return;
      field.dataTypeID = PG_TEXT_OID;
      positions.push(i);
    });
    if (positions.length && r.rows) charColumns.set(r.rows, positions);
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

type RawResult = { columnTypes: number[]; rows: object };
type Queryable = { queryRaw(query: unknown): Promise<RawResult> };

/** The adapter factory with every adapter it makes reporting the relabelled "char" columns as characters again. */
function withCharColumns<F extends { connect(): Promise<Queryable> }>(factory: F): F {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const queryRaw = adapter.queryRaw.bind(adapter);
    adapter.queryRaw = async (query) => {
      const result = await queryRaw(query);
      for (const i of charColumns.get(result.rows) ?? []) result.columnTypes[i] = COLUMN_TYPE_CHARACTER;
      return result;
    };
    return adapter;
  };
  return factory;
}

/**
 * Runs one engine call. A panic of the engine surfaces as an uncaught
 * RuntimeError, not as a rejected promise: while the call runs, such an error
 * rejects it (with the panic's message), so that a panic fails the case that
 * met it instead of ending the process.
 */
function guardPanics<T>(call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onPanic = (error: Error) => {
      if (error instanceof WebAssembly.RuntimeError) reject(new Error(`engine panic: ${wasmPanicRegistry().message || error.message}`));
      else throw error;
    };
    process.on('uncaughtException', onPanic);
    call()
      .then(resolve, reject)
      .finally(() => process.off('uncaughtException', onPanic));
  });
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
  const adapter = bindMigrationAwareSqlAdapterFactory(withCharColumns(new PrismaPg(pool, { schema })));
  let engine: Engine | undefined;
  try {
    registry.message = '';
    engine = await guardPanics(() => SchemaEngine.new({ datamodels: files.map((f) => [f.path, f.content]) }, () => {}, adapter));
    const ready = engine;
    return await guardPanics(() => fn(ready));
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
