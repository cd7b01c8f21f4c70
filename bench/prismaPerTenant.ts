/**
 * The approach users take today, for comparison with tm's bulk planner: ask
 * Prisma's own schema engine for the migration of each tenant schema, one
 * tenant after another (what a loop of `prisma migrate diff` runs, from each
 * tenant's live schema to the Prisma files, does, less each run's process start-up).
 *
 * The Prisma CLI cannot run here (it downloads a native engine at run time), so
 * this uses the wasm build of the same engine in-process, as the conformance
 * runner's judge does (conformance/prismaJudge.ts). See ../shared/notes/prisma-offline.md.
 */
import { withLiveEngine, type PrismaFile } from '../conformance/prismaJudge.js';
import { loadSchemaEngine } from '../src/desired/prismaEngine.js';

/** True when the engine's script holds a statement, not just comments ("-- This is an empty migration."). */
function hasStatement(script: string): boolean {
  return script.split('\n').some((line) => line.trim() !== '' && !line.trim().startsWith('--'));
}

/** Prisma's own schema engine diffing each live tenant schema against the Prisma files, one tenant after another. */
export async function planWithPrismaPerTenant(url: string, files: PrismaFile[], schemas: string[]): Promise<{ ms: number; perTenantMs: number; changed: number }> {
  // Loading the module is a one-off start-up cost, like the CLI's, and is left out of the timing.
  await loadSchemaEngine('bench');
  let changed = 0;
  const started = performance.now();
  for (const schema of schemas) {
    // A fresh engine and connection per tenant, as each CLI run would have (see withLiveEngine).
    // An engine instance of its own: the bench's fleet is built with tm's (createFleet), in this same process.
    const result = await withLiveEngine(
      url,
      schema,
      files,
      (engine) =>
        engine.diff({
          from: { tag: 'schemaDatasource', files, configDir: process.cwd() },
          to: { tag: 'schemaDatamodel', files },
          script: true,
          exitCode: null,
          filters: { externalTables: [], externalEnums: [] },
        }),
      'bench',
    );
    if (hasStatement(result.stdout ?? '')) changed++;
  }
  const ms = performance.now() - started;
  return { ms, perTenantMs: schemas.length ? ms / schemas.length : 0, changed };
}
