/**
 * The approach users take today, for comparison with tm's bulk planner: ask
 * Prisma's own schema engine for the migration of each tenant schema, one
 * tenant after another (what a loop of `prisma migrate diff` runs, from each
 * tenant's live schema to the Prisma files, does, less each run's process start-up).
 *
 * The Prisma CLI cannot run here (it downloads a native engine at run time), so
 * this uses the wasm build of the same engine in-process, loaded as
 * src/desired/prismaEngine.ts does. See ../shared/notes/prisma-offline.md.
 */
import { createRequire } from 'node:module';
import pg from 'pg';
import { loadSchemaEngine, wasmPanicRegistry, type SchemaEngineModule } from '../src/desired/prismaEngine.js';

const require = createRequire(import.meta.url);

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

class CharAsTextClient extends pg.Client {
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

/** True when the engine's script holds a statement, not just comments ("-- This is an empty migration."). */
function hasStatement(script: string): boolean {
  return script.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--'));
}

/** Prisma's own schema engine diffing each live tenant schema against the Prisma files, one tenant after another. */
export async function planWithPrismaPerTenant(
  url: string,
  files: { path: string; content: string }[],
  schemas: string[],
): Promise<{ ms: number; perTenantMs: number; changed: number }> {
  const registry = wasmPanicRegistry();
  // Loading the module is a one-off start-up cost, like the CLI's, and is left out of the timing.
  // An engine of its own: the bench's fleet is built with tm's (createFleet), in this same process.
  const { SchemaEngine } = await loadSchemaEngine('bench');
  const { PrismaPg } = require('@prisma/adapter-pg');
  const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');
  const datamodels = files.map((f) => [f.path, f.content]);

  let changed = 0;
  const started = performance.now();
  for (const schema of schemas) {
    // A fresh engine and connection per tenant, as each CLI run would have.
    // PrismaPg's `schema` option is what tells the engine which schema to describe.
    const pool = new pg.Pool({ connectionString: url, max: 1, Client: CharAsTextClient });
    pool.on('error', () => {});
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool, { schema }));
    let engine: Engine | undefined;
    try {
      engine = await SchemaEngine.new({ datamodels }, () => {}, adapter);
      const result = await engine.diff({
        from: { tag: 'schemaDatasource', files, configDir: process.cwd() },
        to: { tag: 'schemaDatamodel', files },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      });
      if (hasStatement(result.stdout ?? '')) changed++;
    } catch (error) {
      const message = registry.message || (error as Error).message;
      throw new Error(`Prisma's schema engine could not diff ${schema}: ${message}`);
    } finally {
      engine?.free();
      await pool.end();
    }
  }
  const ms = performance.now() - started;
  return { ms, perTenantMs: schemas.length ? ms / schemas.length : 0, changed };
}
