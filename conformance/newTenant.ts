/**
 * A Prisma schema through tm's own pipeline, as `tm plan` would take it: the
 * file goes into a throwaway project and is loaded by loadPrismaSchema (so a
 * Prisma 6 datasource `url` is neutralised the way tm does it), the desired
 * model comes from Prisma's schema engine via a scratch schema, and a new
 * tenant is planned from empty, applied, and must then plan no changes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { fingerprint } from '../src/catalog/fingerprint.js';
import { emptySchemaModel, type SchemaModel } from '../src/catalog/model.js';
import { desiredState } from '../src/desired/index.js';
import { diffSchemas } from '../src/diff/diff.js';
import type { Step } from '../src/diff/step.js';
import { loadPrismaSchema, type LoadedSchema } from '../src/schema/load.js';
import { applySteps, introspect, modelDifferences, oneLine } from './support.js';

export async function loadSchemaText(text: string): Promise<LoadedSchema> {
  const dir = mkdtempSync(join(tmpdir(), 'tm-conformance-'));
  try {
    mkdirSync(join(dir, 'prisma'));
    writeFileSync(join(dir, 'prisma', 'schema.prisma'), text);
    return await loadPrismaSchema(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * multiSchema (`schemas = [...]`, `@@schema`) pins models to fixed named
 * schemas: a tm tenant is one schema, and tm refuses such a schema when it
 * loads it (src/schema/load.ts), so the case is out of scope, read from the text.
 */
export function multiSchemaReason(text: string): string | undefined {
  if (/^\s*schemas\s*=/m.test(text) || /@@schema\s*\(/.test(text)) {
    return 'multiSchema: the datasource lists schemas and models are pinned to them with @@schema; a tm tenant is one schema';
  }
  return undefined;
}

export interface NewTenantOutcome {
  desired: SchemaModel;
  steps: Step[];
  /** Why the new tenant did not converge, else undefined. */
  problem?: string;
}

/** Plans `tenant` from empty towards the schema, applies, and checks it then plans nothing. */
export async function convergeNewTenant(client: pg.Client, url: string, schema: LoadedSchema, tenant: string): Promise<NewTenantOutcome> {
  const desired = (await desiredState(schema.files, url, client)).model;
  const steps = diffSchemas(emptySchemaModel(), desired);
  try {
    await applySteps(client, [{ schema: tenant, steps, create: true, after: desired }]);
  } catch (error) {
    return { desired, steps, problem: `apply: ${oneLine((error as Error).message, 240)}` };
  }
  const actual = (await introspect(client, [tenant])).get(tenant);
  if (!actual || fingerprint(actual) !== fingerprint(desired)) {
    return { desired, steps, problem: `not converged: ${modelDifferences(desired, actual).join('; ')}` };
  }
  const again = diffSchemas(actual, desired);
  if (again.length) return { desired, steps, problem: `re-plan not empty: ${again.map((s) => oneLine(s.sql, 100)).join(' ; ')}` };
  return { desired, steps };
}
