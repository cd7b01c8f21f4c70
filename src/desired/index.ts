/**
 * What Prisma would create for a schema folder, as a catalog model of the
 * given database (see prismaEngine.ts and materialize.ts).
 */
import pg from 'pg';
import type { SchemaModel } from '../catalog/model.js';
import { DEFAULT_EXTENSION_SCHEMA } from '../config/tenants.js';
import { ensureEmbedded } from '../db/embedded.js';
import type { Step } from '../diff/step.js';
import { materializeDesired } from './materialize.js';
import { renderCreateSql } from './prismaEngine.js';

export interface DesiredState {
  /** The SQL Prisma renders from empty (unqualified). */
  createSql: string;
  model: SchemaModel;
  /** Statements the database needs once, before its tenants (extensions it lacks). */
  databaseSteps: Step[];
}

/** `extensionSchema`: where the database's extensions live (tenants.yaml, see extensions.ts). */
export async function desiredState(
  files: { path: string; content: string }[],
  connectionString: string,
  client?: pg.ClientBase,
  extensionSchema = DEFAULT_EXTENSION_SCHEMA,
): Promise<DesiredState> {
  await ensureEmbedded(connectionString);
  const createSql = await renderCreateSql(files, connectionString);
  const own = client ? null : new pg.Client({ connectionString, application_name: 'tm (desired state)' });
  if (own) await own.connect();
  try {
    return { createSql, ...(await materializeDesired((client ?? own)!, createSql, extensionSchema)) };
  } finally {
    await own?.end();
  }
}
