/**
 * Prisma's own schema engine (the wasm build, in-process, offline) renders the
 * SQL that `prisma migrate diff --from-empty --to-schema` would print. The
 * Prisma CLI cannot be used here: it downloads a native engine at run time.
 * See ../shared/notes/prisma-offline.md for how this was worked out.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { TmError } from '../errors.js';

const require = createRequire(import.meta.url);

export interface SchemaEngineModule {
  SchemaEngine: {
    new: (options: unknown, log: (message: string) => void, adapter: object) => Promise<{
      diff(params: unknown): Promise<{ stdout: string | null; exitCode: number }>;
      free(): void;
    }>;
  };
}

const loaded = new Map<string, Promise<SchemaEngineModule>>();

/**
 * The wasm schema engine, loaded once per process and `instance`. The glue
 * module caches views of its wasm instance's memory, so two instances set
 * into one glue module make whichever runs next read garbage: another
 * instance name imports a private copy of the glue (another URL is another
 * module), for a caller that needs an engine of its own (the benchmark).
 */
export function loadSchemaEngine(instance = 'tm'): Promise<SchemaEngineModule> {
  let module = loaded.get(instance);
  if (!module) loaded.set(instance, (module = instantiate(instance)));
  return module;
}

async function instantiate(instance: string): Promise<SchemaEngineModule> {
  // The package's entry imports the .wasm file as an ES module, which Node 20
  // cannot do; instantiate it by hand with the generated glue module.
  const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const glue = await import(pathToFileURL(gluePath).href + (instance === 'tm' ? '' : `?instance=${encodeURIComponent(instance)}`));
  const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
  const { instance: wasm } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
  glue.__wbg_set_wasm(wasm.exports);
  (wasm.exports as any).__wbindgen_start();
  return glue as SchemaEngineModule;
}

/** Engine panics surface as an uncaught RuntimeError, not a rejected promise; this registry keeps their message. */
export function wasmPanicRegistry(): { message: string } {
  return ((globalThis as any).PRISMA_WASM_PANIC_REGISTRY ??= {
    message: '',
    set_message(this: { message: string }, m: string) {
      this.message = m;
    },
  });
}

/**
 * The SQL that creates, in an empty schema, everything the Prisma files
 * describe. Statements are unqualified (run them with search_path set);
 * Prisma's leading `CREATE SCHEMA IF NOT EXISTS …` is left out.
 *
 * The engine connects lazily through @prisma/adapter-pg, so it is given the
 * connection string of a database it may look at (never written to).
 */
export async function renderCreateSql(files: { path: string; content: string }[], connectionString: string): Promise<string> {
  const registry = wasmPanicRegistry();
  const { SchemaEngine } = await loadSchemaEngine();
  const { PrismaPg } = require('@prisma/adapter-pg');
  const { bindMigrationAwareSqlAdapterFactory } = require('@prisma/driver-adapter-utils');
  // Our own pool, so that it can be closed: the adapter never closes one it made, and an idle
  // pooled connection would keep the process alive for pg's idle timeout after the work is done.
  const pool = new pg.Pool({ connectionString, max: 1 });
  pool.on('error', () => {});
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const datamodels = files.map((f) => [f.path, f.content]);
  let engine;
  try {
    engine = await SchemaEngine.new({ datamodels }, () => {}, adapter);
    const result = await engine.diff({
      from: { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    return stripCreateSchema(result.stdout ?? '');
  } catch (error) {
    const message = registry.message || (error as Error).message;
    throw new TmError(`Prisma's schema engine could not render the schema: ${message}`, 'Check the schema with `tm validate`.');
  } finally {
    engine?.free();
    await pool.end();
  }
}

function stripCreateSchema(sql: string): string {
  return sql
    .replace(/^-- CreateSchema\n/m, '')
    .replace(/^CREATE SCHEMA IF NOT EXISTS "[^"]*";\n*/m, '')
    .trim();
}
